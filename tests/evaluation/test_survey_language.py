"""The survey speaks the customer's language: the e-mail, the page the link opens, and a switch that
works without signing in."""

from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse

from evaluation import services
from evaluation.models import SurveyDelivery

from .conftest import ANSWERS

pytestmark = pytest.mark.django_db

ENGLISH_TITLE = "How satisfied are you with our service?"


@pytest.fixture
def anon():
    return Client()


def _path(url):
    """The link without its site, for the test client."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def test_an_english_customer_gets_an_english_email_and_page(anon, ticket, engineer):
    services.survey_create(ticket=ticket, by=engineer, delivery=SurveyDelivery.EMAIL, language="en")

    message = mail.outbox[0]
    assert message.subject == ENGLISH_TITLE
    assert "The link works once and for 14 days." in message.body
    link = next(word for word in message.body.split() if "/survey/" in word)
    assert link.endswith("/?lang=en")

    page = anon.get(_path(link)).content.decode()
    assert '<html lang="en">' in page and ENGLISH_TITLE in page
    assert anon.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    # The thanks page after answering stays in the customer's language.
    response = anon.post(_path(link), ANSWERS, follow=True)
    assert "Thank you for your feedback!" in response.content.decode()


def test_a_chinese_customer_gets_the_teams_language_with_a_plain_link(anon, ticket, engineer):
    new = services.survey_create(
        ticket=ticket, by=engineer, delivery=SurveyDelivery.EMAIL, language="zh-hans"
    )
    assert mail.outbox[0].subject == "您对我们的服务满意吗?"
    assert "?lang=" not in mail.outbox[0].body and new.url.endswith("/")
    page = anon.get(_path(new.url)).content.decode()
    assert '<html lang="zh-hans">' in page and ENGLISH_TITLE not in page


def test_the_switch_changes_the_language_without_login(anon, new_survey):
    path = _path(new_survey.url)
    page = anon.get(path).content.decode()
    assert 'id="survey-language"' in page
    assert '<a href="?lang=en" lang="en" hreflang="en">English</a>' in page

    english = anon.get(path + "?lang=en").content.decode()
    assert ENGLISH_TITLE in english
    assert '<a href="?lang=zh-hans" lang="zh-hans" hreflang="zh-hans">简体中文</a>' in english
    # Kept for the next page without the parameter, and switched back the same way.
    assert ENGLISH_TITLE in anon.get(path).content.decode()
    assert ENGLISH_TITLE not in anon.get(path + "?lang=zh-hans").content.decode()
    assert ENGLISH_TITLE not in anon.get(path).content.decode()


def test_an_unknown_language_is_ignored(anon, new_survey):
    response = anon.get(_path(new_survey.url) + "?lang=fr")
    assert response.status_code == 200 and '<html lang="zh-hans">' in response.content.decode()
    assert settings.LANGUAGE_COOKIE_NAME not in anon.cookies


def test_a_shown_link_carries_the_chosen_language(engineer_client, ticket, settings):
    settings.SITE_URL = "https://service.example.com"
    response = engineer_client.post(
        reverse("evaluation:survey_create", args=[ticket.number]), {"delivery": "shown", "language": "en"}
    )
    assert "/?lang=en" in response.content.decode()


def test_the_evaluation_page_offers_the_customers_language(engineer_client, ticket):
    page = engineer_client.get(reverse("evaluation:page", args=[ticket.number])).content.decode()
    assert 'name="language"' in page
