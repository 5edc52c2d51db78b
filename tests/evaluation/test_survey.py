"""The public survey link: valid once, GET never answers, wrong/used/expired links look the same and
reveal nothing, rate limits, only the token's hash is stored."""

import hashlib
import threading
from datetime import timedelta
from unittest import mock

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from evaluation import services
from evaluation.models import Survey, SurveyDelivery, SurveyResponse
from tests.factories import TicketFactory

from .conftest import ANSWERS

pytestmark = pytest.mark.django_db


def link(token):
    return reverse("survey:answer", kwargs={"token": token})


@pytest.fixture
def anon():
    return Client()


def test_token_is_long_random_and_only_its_hash_is_stored(new_survey):
    token = new_survey.token
    assert len(token) >= 43  # token_urlsafe(32): 256 bits
    survey = Survey.objects.get()
    assert survey.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(Survey.objects.values().get())
    assert survey.expires_at - survey.created_at == timedelta(days=14)


def test_get_shows_the_form_without_login_and_does_not_consume(anon, new_survey, ticket):
    response = anon.get(link(new_survey.token))
    assert response.status_code == 200
    assert b'id="survey-form"' in response.content
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"]
    anon.get(link(new_survey.token))  # mail scanners open links, more than once
    assert Survey.objects.get().used_at is None
    assert not SurveyResponse.objects.exists()


def test_form_reveals_nothing_about_the_ticket(anon, new_survey, ticket):
    text = anon.get(link(new_survey.token)).content.decode()
    for secret in (
        ticket.number,
        ticket.customer.name,
        ticket.contact.name,
        ticket.contact_details,
        ticket.description,
        ticket.owner.first_name,
    ):
        assert secret not in text
    assert "navbar" not in text  # its own minimal page, no site navigation or user
    for name in ("response_speed", "effectiveness", "attitude", "communication", "overall", "comment"):
        assert f'name="{name}"' in text


def test_valid_post_answers_once(anon, new_survey, ticket):
    response = anon.post(link(new_survey.token), ANSWERS)
    assert response.status_code == 302
    assert response["Location"] == reverse("survey:thanks")
    answer = SurveyResponse.objects.get()
    assert (
        answer.response_speed,
        answer.effectiveness,
        answer.attitude,
        answer.communication,
        answer.overall,
    ) == (
        5,
        4,
        5,
        3,
        4,
    )
    assert answer.comment == "处理很及时,谢谢"
    assert answer.ticket == ticket
    assert Survey.objects.get().used_at is not None
    thanks = anon.get(response["Location"])
    assert thanks.status_code == 200
    assert b'id="survey-thanks"' in thanks.content


def test_reuse_is_refused(anon, new_survey):
    anon.post(link(new_survey.token), ANSWERS)
    again = anon.post(link(new_survey.token), {**ANSWERS, "overall": "1"})
    assert again.status_code == 404
    assert anon.get(link(new_survey.token)).status_code == 404
    assert SurveyResponse.objects.get().overall == 4


def test_expired_link_is_refused(anon, new_survey):
    Survey.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert anon.get(link(new_survey.token)).status_code == 404
    assert anon.post(link(new_survey.token), ANSWERS).status_code == 404
    assert not SurveyResponse.objects.exists()


@pytest.mark.parametrize("token", ["x", "A" * 43, "not-a-token", "0" * 200])
def test_forged_or_random_tokens_are_refused(anon, new_survey, token):
    assert anon.get(link(token)).status_code == 404
    assert anon.post(link(token), ANSWERS).status_code == 404
    assert not SurveyResponse.objects.exists()


def shown_link(ticket, by, **kwargs):
    return services.survey_create(ticket=ticket, by=by, delivery=SurveyDelivery.SHOWN, **kwargs)


def test_wrong_used_and_expired_links_answer_exactly_alike(anon, ticket, engineer):
    used = shown_link(TicketFactory(owner=engineer, stage="evaluation"), engineer)
    anon.post(link(used.token), ANSWERS)
    expired = shown_link(ticket, engineer)
    Survey.objects.filter(pk=expired.survey.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    replaced = shown_link(ticket, engineer)
    shown_link(ticket, engineer, replace_reason="客户说没收到")  # makes `replaced` stop working
    answers = [
        anon.get(link(token))
        for token in (
            "wrongwrongwrongwrongwrongwrongwrongwrongwro",
            used.token,
            expired.token,
            replaced.token,
        )
    ]
    answers += [anon.post(link(token), ANSWERS) for token in ("nope", used.token, expired.token)]
    first = answers[0]
    assert first.status_code == 404
    for response in answers[1:]:
        assert response.status_code == first.status_code
        assert response.content == first.content
    text = first.content.decode()
    assert ticket.number not in text
    assert ticket.customer.name not in text
    assert "expired" not in text.lower()


def test_new_link_invalidates_older_unused_ones(anon, ticket, engineer):
    old = shown_link(ticket, engineer)
    new = shown_link(ticket, engineer, replace_reason="客户换了微信号")
    assert anon.get(link(old.token)).status_code == 404
    assert anon.get(link(new.token)).status_code == 200


def test_invalid_answer_shows_the_form_again_and_keeps_the_link(anon, new_survey):
    response = anon.post(link(new_survey.token), {**ANSWERS, "overall": "", "attitude": "9"})
    assert response.status_code == 400
    assert b'id="survey-errors"' in response.content
    assert Survey.objects.get().used_at is None
    assert anon.post(link(new_survey.token), ANSWERS).status_code == 302


def test_two_simultaneous_submits_store_one_response(new_survey):
    """Both requests found the link usable; the conditional UPDATE lets only the first one through."""
    survey = Survey.objects.get()
    answers = {
        name: 4 for name in ("response_speed", "effectiveness", "attitude", "communication", "overall")
    }
    with mock.patch.object(services, "survey_find_usable", return_value=survey):
        first = services.survey_submit(token=new_survey.token, answers=answers)
        second = services.survey_submit(token=new_survey.token, answers=answers)
    assert first is not None
    assert second is None
    assert SurveyResponse.objects.count() == 1


def test_scores_are_checked_by_the_database(new_survey, ticket):
    with pytest.raises(IntegrityError), transaction.atomic():
        SurveyResponse.objects.create(
            survey=new_survey.survey,
            ticket=ticket,
            response_speed=5,
            effectiveness=5,
            attitude=5,
            communication=5,
            overall=6,
        )


def test_csrf_stays_on(new_survey):
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(link(new_survey.token), ANSWERS).status_code == 403
    assert Survey.objects.get().used_at is None


def test_lookups_are_rate_limited_per_ip(anon, settings):
    settings.EVALUATION_RATE_LIMITS = {"survey_lookup": (3, 600), "survey_submit": (2, 3600)}
    for _ in range(3):
        assert anon.get(link("guess" * 9)).status_code == 404
    response = anon.get(link("guess" * 9))
    assert response.status_code == 429
    # Another client address is counted apart.
    assert anon.get(link("guess" * 9), REMOTE_ADDR="10.0.0.9").status_code == 404


def test_each_link_has_its_own_limit_whatever_the_address(anon, settings, new_survey, ticket, engineer):
    settings.EVALUATION_RATE_LIMITS = {"survey_lookup": (100, 600), "survey_token": (3, 3600)}
    for number in range(3):
        assert anon.get(link(new_survey.token), REMOTE_ADDR=f"198.51.100.{number}").status_code == 200
    assert anon.get(link(new_survey.token), REMOTE_ADDR="198.51.100.9").status_code == 429
    assert anon.post(link(new_survey.token), ANSWERS, REMOTE_ADDR="198.51.100.10").status_code == 429
    assert not SurveyResponse.objects.exists()
    # Another link is not affected.
    other = shown_link(TicketFactory(owner=engineer, stage="evaluation"), engineer)
    assert anon.get(link(other.token), REMOTE_ADDR="198.51.100.9").status_code == 200


def test_behind_a_trusted_proxy_each_customer_has_their_own_bucket(anon, settings, new_survey):
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    settings.EVALUATION_RATE_LIMITS = {"survey_lookup": (3, 600)}
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    for _ in range(3):
        anon.get(link("junk" * 11), HTTP_X_FORWARDED_FOR="203.0.113.66", **proxy)
    assert anon.get(link("junk" * 11), HTTP_X_FORWARDED_FOR="203.0.113.66", **proxy).status_code == 429
    # The customer behind the same proxy is not locked out by someone else's junk.
    response = anon.get(link(new_survey.token), HTTP_X_FORWARDED_FOR="198.51.100.20", **proxy)
    assert response.status_code == 200


def test_a_spoofed_forwarded_for_from_an_untrusted_peer_is_ignored(anon, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    settings.EVALUATION_RATE_LIMITS = {"survey_lookup": (3, 600)}
    for number in range(3):
        spoofed = {"REMOTE_ADDR": "203.0.113.66", "HTTP_X_FORWARDED_FOR": f"192.0.2.{number}"}
        assert anon.get(link("junk" * 11), **spoofed).status_code == 404
    spoofed = {"REMOTE_ADDR": "203.0.113.66", "HTTP_X_FORWARDED_FOR": "192.0.2.99"}
    assert anon.get(link("junk" * 11), **spoofed).status_code == 429


def test_ipv6_clients_are_counted_per_64_block(anon, settings):
    settings.EVALUATION_RATE_LIMITS = {"survey_lookup": (2, 600)}
    for host in ("1", "2"):
        assert anon.get(link("junk" * 11), REMOTE_ADDR=f"2001:db8:1:2::{host}").status_code == 404
    assert anon.get(link("junk" * 11), REMOTE_ADDR="2001:db8:1:2::3").status_code == 429
    assert anon.get(link("junk" * 11), REMOTE_ADDR="2001:db8:1:3::1").status_code == 404


def test_submissions_are_rate_limited_per_ip(anon, settings, ticket, engineer):
    settings.EVALUATION_RATE_LIMITS = {"survey_lookup": (100, 600), "survey_submit": (2, 3600)}
    tokens = [shown_link(ticket, engineer, replace_reason="重发").token for _ in range(3)]
    assert anon.post(link(tokens[0]), ANSWERS).status_code == 404  # replaced by the later links
    assert anon.post(link(tokens[2]), {}).status_code == 400
    assert anon.post(link(tokens[2]), ANSWERS).status_code == 429
    assert not SurveyResponse.objects.exists()


def test_a_failing_cache_lets_the_request_through(anon, new_survey, caplog):
    with mock.patch("toolkit.ratelimit.cache") as broken:
        broken.add.side_effect = ConnectionError("redis down")
        response = anon.post(link(new_survey.token), ANSWERS)
    assert response.status_code == 302
    assert SurveyResponse.objects.count() == 1
    assert "cache failed" in caplog.text


def test_english_page(anon, new_survey):
    anon.cookies["django_language"] = "en"
    text = anon.get(link(new_survey.token)).content.decode()
    assert "Overall satisfaction" in text


@pytest.mark.skipif(connection.vendor != "postgresql", reason="real concurrent transactions need PostgreSQL")
def test_concurrent_submits_on_postgresql_store_one_response(transactional_db, ticket, engineer):
    token = shown_link(ticket, engineer).token
    answers = {
        name: 5 for name in ("response_speed", "effectiveness", "attitude", "communication", "overall")
    }
    barrier = threading.Barrier(2)
    results = []

    def submit():
        try:
            barrier.wait()
            results.append(services.survey_submit(token=token, answers=answers))
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(result is not None for result in results) == 1
    assert SurveyResponse.objects.count() == 1
