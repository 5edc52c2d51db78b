"""The evaluation page: htmx and plain-POST changes, the survey link shown once, permissions, query count."""

import secrets
from datetime import timedelta

import pytest
from django.core import mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from evaluation import services
from evaluation.models import (
    ActionStatus,
    FollowUp,
    ImprovementAction,
    Recurrence,
    Survey,
    SurveyResponse,
    Verification,
)
from evaluation.selectors import evaluation_panel
from tests.factories import TicketFactory, UserFactory
from toolkit.choices import Stage

from .conftest import ANSWERS

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def url(name, ticket, **kwargs):
    return reverse(f"evaluation:{name}", kwargs={"number": ticket.number, **kwargs})


def local(value):
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def verified(ticket, engineer):
    services.verification_record(
        ticket=ticket, by=engineer, method="customer", verified_at=timezone.now() - timedelta(days=3)
    )
    ticket.refresh_from_db()
    return ticket


def test_page_shows_results_and_forms(engineer_client, ticket):
    response = engineer_client.get(url("page", ticket))
    assert response.status_code == 200
    text = response.content.decode()
    for element in ('id="results"', 'id="verification-form"', 'id="follow-up-form"', 'id="action-form"'):
        assert element in text
    assert 'id="survey-create-form"' in text
    assert 'id="close-form"' not in text  # not verified yet


def test_unknown_ticket_is_404(engineer_client):
    assert engineer_client.get(reverse("evaluation:page", args=["TS-20000101-0001"])).status_code == 404


def test_verify_plain_post_moves_to_evaluation(engineer_client, ticket, engineer):
    when = timezone.now().replace(second=0, microsecond=0) - timedelta(hours=2)
    response = engineer_client.post(
        url("verify", ticket),
        {"method": "monitoring", "verified_at": local(when), "note": "监控数据恢复正常"},
    )
    assert response.status_code == 302
    assert response["Location"] == url("page", ticket)
    ticket.refresh_from_db()
    assert ticket.stage == Stage.EVALUATION
    verification = Verification.objects.get()
    assert (verification.method, verification.verified_at, verification.verified_by) == (
        "monitoring",
        when,
        engineer,
    )


def test_verify_with_errors(engineer_client, ticket):
    response = engineer_client.post(url("verify", ticket), {"method": "telepathy", "verified_at": "soon"})
    assert response.status_code == 400
    htmx = engineer_client.post(url("verify", ticket), {"method": "", "verified_at": ""}, **HTMX)
    assert htmx.status_code == 200
    assert (
        htmx.content.decode().startswith('\n<div id="evaluation">')
        or 'id="evaluation"' in htmx.content.decode()
    )
    assert "<nav" not in htmx.content.decode()
    assert not Verification.objects.exists()


def test_follow_up_schedule_edit_and_done_with_htmx(engineer_client, verified, engineer, manager):
    due = verified.verification.verified_at + timedelta(days=7)
    page = engineer_client.get(url("page", verified)).content.decode()
    assert f'value="{local(due)}"' in page  # default: verification + 7 days
    response = engineer_client.post(
        url("follow_up_add", verified), {"due_at": local(due), "assignee": engineer.pk}, **HTMX
    )
    assert response.status_code == 200
    follow_up = FollowUp.objects.get()
    assert (follow_up.due_at, follow_up.assignee) == (due.replace(second=0, microsecond=0), engineer)
    assert f'id="follow-up-{follow_up.pk}"' in response.content.decode()

    edit = engineer_client.get(url("follow_up_edit", verified, pk=follow_up.pk), **HTMX)
    assert 'id="id_edit_followup_due_at"' in edit.content.decode()
    later = due + timedelta(days=2)
    engineer_client.post(
        url("follow_up_edit", verified, pk=follow_up.pk),
        {"due_at": local(later), "assignee": manager.pk},
        **HTMX,
    )
    follow_up.refresh_from_db()
    assert follow_up.assignee == manager

    empty = engineer_client.post(url("follow_up_done", verified, pk=follow_up.pk), {"outcome": " "})
    assert empty.status_code == 400
    done = engineer_client.post(
        url("follow_up_done", verified, pk=follow_up.pk), {"outcome": "客户确认问题未再出现"}
    )
    assert done.status_code == 302
    follow_up.refresh_from_db()
    assert follow_up.done_at is not None and follow_up.outcome == "客户确认问题未再出现"


def test_link_recurrence_from_a_candidate(engineer_client, verified, engineer, customer):
    candidate = TicketFactory(
        customer=customer, owner=engineer, recorded_at=verified.verification.verified_at + timedelta(days=1)
    )
    page = engineer_client.get(url("page", verified)).content.decode()
    assert 'id="recurrence-candidates"' in page and candidate.number in page
    response = engineer_client.post(
        url("recurrence_add", verified), {"ticket_number": candidate.number.lower()}
    )
    assert response.status_code == 302
    link = Recurrence.objects.get()
    assert (link.original, link.new_ticket) == (verified, candidate)
    refused = engineer_client.post(
        url("recurrence_add", verified), {"ticket_number": "TS-19990101-0001"}, **HTMX
    )
    assert refused.status_code == 200
    assert Recurrence.objects.count() == 1
    engineer_client.post(url("recurrence_delete", verified, pk=link.pk))
    assert not Recurrence.objects.exists()


def test_improvement_actions_add_edit_done(engineer_client, ticket, engineer, manager):
    response = engineer_client.post(
        url("action_add", ticket),
        {
            "description": "验证码服务增加监控告警",
            "owner": manager.pk,
            "due_date": "2026-12-31",
            "status": "open",
        },
        **HTMX,
    )
    assert response.status_code == 200
    action = ImprovementAction.objects.get()
    assert (action.ticket, action.owner, str(action.due_date)) == (ticket, manager, "2026-12-31")
    assert engineer_client.get(url("action_edit", ticket, pk=action.pk)).status_code == 200
    engineer_client.post(
        url("action_edit", ticket, pk=action.pk),
        {
            "description": "验证码服务增加监控告警和自动切换",
            "owner": engineer.pk,
            "due_date": "",
            "status": "in_progress",
        },
    )
    action.refresh_from_db()
    assert (action.status, action.owner, action.due_date) == (ActionStatus.IN_PROGRESS, engineer, None)
    engineer_client.post(url("action_done", ticket, pk=action.pk))
    action.refresh_from_db()
    assert action.status == ActionStatus.DONE and action.done_at is not None
    bad = engineer_client.post(url("action_add", ticket), {"description": "", "owner": "", "status": "open"})
    assert bad.status_code == 400


def test_survey_link_is_shown_once(engineer_client, ticket, settings):
    settings.SITE_URL = "https://service.example.com"
    response = engineer_client.post(url("survey_create", ticket), {"delivery": "shown"}, **HTMX)
    assert response.status_code == 200
    text = response.content.decode()
    assert 'id="new-survey-link"' in text
    start = text.index("https://service.example.com/survey/")
    link = text[start : text.index('"', start)]
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert Survey.objects.get().token_hash == services.hash_token(token)
    page = engineer_client.get(url("page", ticket)).content.decode()
    assert token not in page
    assert "/survey/" not in page
    assert not mail.outbox
    survey = Survey.objects.get()
    assert (survey.delivery, survey.created_by) == ("shown", ticket.owner)
    assert "只显示一次,用于通过聊天发送" in page  # the state, and that it was shown once, stays visible


def test_survey_link_sent_by_email_is_never_shown_to_staff(engineer_client, ticket):
    response = engineer_client.post(url("survey_create", ticket), {"delivery": "email"}, **HTMX)
    assert response.status_code == 200
    assert mail.outbox[0].to == ["wang@tsa.example.com"]
    token = mail.outbox[0].body.split("/survey/")[1].split("/")[0]
    survey = Survey.objects.get()
    assert (survey.sent_to, survey.delivery) == ("wang@tsa.example.com", "email")
    assert survey.token_hash == services.hash_token(token)
    text = response.content.decode()
    assert token not in text
    assert 'id="new-survey-link"' not in text
    assert "/survey/" not in text


def test_contact_email_is_masked_for_others(client, ticket):
    other = UserFactory(username="other-engineer", role="engineer")
    client.force_login(other)
    text = client.get(url("page", ticket)).content.decode()
    assert "wang@tsa.example.com" not in text
    assert "w****@tsa.example.com" in text


def test_close_from_the_page(engineer_client, verified):
    page = engineer_client.get(url("page", verified)).content.decode()
    assert 'id="close-form"' in page
    response = engineer_client.post(url("close", verified), {"reason": ""})
    assert response.status_code == 302
    verified.refresh_from_db()
    assert verified.stage == Stage.CLOSED


def test_close_without_verification_is_refused(engineer_client, ticket):
    assert engineer_client.post(url("close", ticket), {"reason": "done"}).status_code == 400
    ticket.refresh_from_db()
    assert ticket.stage == Stage.IMPLEMENTATION


@pytest.mark.parametrize("who", ["engineer_client", "manager_client", "admin_client_role"])
def test_all_three_roles_work_evaluations_and_create_surveys(request, who, ticket):
    client = request.getfixturevalue(who)
    assert client.get(url("page", ticket)).status_code == 200
    assert client.post(url("survey_create", ticket), {"delivery": "shown"}).status_code == 200
    assert (
        client.post(
            url("verify", ticket), {"method": "customer", "verified_at": local(timezone.now())}
        ).status_code
        == 302
    )


def test_no_role_user_is_refused_everywhere(client, no_role_user, verified, engineer):
    follow_up = services.follow_up_schedule(ticket=verified, by=engineer)
    action = services.action_create(ticket=verified, by=engineer, description="x", owner=engineer)
    client.force_login(no_role_user)
    assert client.get(url("page", verified)).status_code == 403
    assert client.get(url("ticket_export", verified)).status_code == 403
    assert client.get(reverse("evaluation:report_export")).status_code == 403
    for name, kwargs in [
        ("verify", {}),
        ("close", {}),
        ("follow_up_add", {}),
        ("follow_up_done", {"pk": follow_up.pk}),
        ("follow_up_edit", {"pk": follow_up.pk}),
        ("recurrence_add", {}),
        ("action_add", {}),
        ("action_edit", {"pk": action.pk}),
        ("action_done", {"pk": action.pk}),
        ("survey_create", {}),
    ]:
        assert client.post(url(name, verified, **kwargs), {}).status_code == 403, name
    assert not Survey.objects.exists()


def test_anonymous_is_sent_to_login(client, ticket):
    response = client.get(url("page", ticket))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("rows", [1, 10])
def test_page_query_count_is_constant(
    engineer_client, verified, engineer, customer, rows, django_assert_num_queries
):
    base = verified.verification.verified_at
    for index in range(rows):
        services.follow_up_schedule(ticket=verified, by=engineer, due_at=base + timedelta(days=index + 1))
        services.action_create(ticket=verified, by=engineer, description=f"措施{index}", owner=engineer)
        recurrence = TicketFactory(
            customer=customer, owner=engineer, recorded_at=base + timedelta(hours=index + 1)
        )
        services.recurrence_link(original=verified, new_ticket=recurrence, by=engineer)
        TicketFactory(customer=customer, owner=engineer, recorded_at=base + timedelta(days=1, hours=index))
        # Older answered links, as before a ticket kept one answer (the service now refuses a second).
        survey = Survey.objects.create(
            ticket=verified, token_hash=secrets.token_hex(32), created_by=engineer, used_at=timezone.now()
        )
        SurveyResponse.objects.create(
            survey=survey, ticket=verified, **{k: int(v) for k, v in ANSWERS.items() if k != "comment"}
        )
    # session, user, ticket (404 check), ticket with results, follow-ups, recurrences, recurrence-of,
    # candidates, actions, surveys + responses, permissions (user, group), bell, assignee and owner choices
    with django_assert_num_queries(16):
        response = engineer_client.get(url("page", verified))
    assert response.status_code == 200
    text = response.content.decode()
    assert text.count('class="improvement-action"') == rows
    assert text.count('class="follow-up-done-row"') == rows


def test_panel_fragment(verified, engineer):
    services.action_create(ticket=verified, by=engineer, description="增加监控", owner=engineer)
    html = render_to_string(
        "evaluation/_ticket_panel.html", {"ticket": verified, "evaluation_panel": evaluation_panel(verified)}
    )
    assert 'id="evaluation-panel"' in html
    assert url("page", verified) in html
    assert engineer.display_name in html
