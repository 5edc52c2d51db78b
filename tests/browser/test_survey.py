"""The customer's survey on a phone: tap the five scores, write a comment, submit, see the thanks page.
And the engineer's side: verify the resolution and create the link on the evaluation page (htmx); the
link is shown once, for sending by chat, and the engineer's own signed-in browser cannot answer it."""

import os
import re
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from evaluation import services
from evaluation.models import Survey, SurveyResponse, Verification
from tests.factories import TicketFactory

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 740}
SCORES = {"response_speed": 5, "effectiveness": 4, "attitude": 5, "communication": 3, "overall": 4}


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport=PHONE, is_mobile=True)
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()


def _shot(tab, name):
    if os.environ.get("SCREENSHOTS") == "1":
        from tests.browser.conftest import SCREENSHOT_DIR

        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(SCREENSHOT_DIR / f"{name}.png"), full_page=True)


def test_customer_answers_the_survey_on_a_phone(phone, engineer):
    ticket = TicketFactory(owner=engineer, stage="evaluation")
    new = services.survey_create(ticket=ticket, by=engineer, delivery="shown")

    phone.goto(reverse("survey:answer", kwargs={"token": new.token}))
    expect(phone.locator("#survey-form")).to_be_visible()
    assert ticket.number not in phone.content()
    # Large tap targets: every score button is at least 44 px high and the five fit the phone's width.
    box = phone.locator("label[for=id_overall_0]").bounding_box()
    assert box["height"] >= 44
    last = phone.locator("label[for=id_overall_4]").bounding_box()
    assert last["x"] + last["width"] <= PHONE["width"]
    _shot(phone, "survey-phone")

    for name, score in SCORES.items():
        phone.click(f"label[for=id_{name}_{score - 1}]")
    phone.fill("#id_comment", "工程师响应很快,问题当天解决。")
    with phone.expect_navigation():
        phone.click("#survey-submit")

    expect(phone.locator("#survey-thanks")).to_be_visible()
    _shot(phone, "survey-thanks-phone")
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
    assert answer.comment == "工程师响应很快,问题当天解决。"
    # The link is used up: opening it again shows the plain "cannot be used" page.
    response = phone.goto(reverse("survey:answer", kwargs={"token": new.token}))
    assert response.status == 404
    expect(phone.locator("#survey-form")).to_have_count(0)


def test_engineer_verifies_and_creates_a_survey_link(page, log_in, engineer):
    ticket = TicketFactory(owner=engineer, stage="implementation", contact_details="13856785678")
    log_in(engineer)
    page.goto(reverse("evaluation:page", kwargs={"number": ticket.number}))
    page.select_option("#id_verificationform_method", "remote_test")
    page.fill("#id_verificationform_note", "远程复测通过")
    with page.expect_response(lambda response: "/verify/" in response.url):
        page.click("#verification-form button[type=submit]")
    expect(page.locator("#verification-summary")).to_be_visible()
    assert Verification.objects.get().method == "remote_test"

    # No e-mail address on this ticket: the link can only be shown once, to send by chat.
    assert page.locator("#id_surveycreateform_delivery option").all_inner_texts() == [
        "只显示一次,用于通过聊天发送"
    ]
    with page.expect_response(lambda response: "/surveys/" in response.url):
        page.click("#survey-create-form button[type=submit]")
    link = page.locator("#survey-link-input").input_value()
    assert re.search(r"/survey/[A-Za-z0-9_-]{43}/$", link)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.click("#survey-link-copy")
    expect(page.locator("#survey-link-copy")).to_have_text("已复制")
    assert page.evaluate("navigator.clipboard.readText()") == link
    assert Survey.objects.count() == 1
    _shot(page, "evaluation-page")

    # Shown once: after a reload only the link's state is left, and how it went out.
    page.reload()
    expect(page.locator("#survey-link-input")).to_have_count(0)
    assert "/survey/" not in page.content()
    expect(page.locator("#survey-list .survey-delivery")).to_have_text("只显示一次,用于通过聊天发送")
    # The engineer's own signed-in browser cannot answer it.
    response = page.goto(urlsplit(link).path)  # the link starts with SITE_URL, not the live server
    assert response.status == 403
    expect(page.locator("#survey-staff-refused")).to_be_visible()
    expect(page.locator("#survey-form")).to_have_count(0)
