"""The customer's answer comes from the customer: staff sessions cannot answer, a link e-mailed to the
contact is never shown to staff, a pending link is voided or replaced only by the ticket's owner or a
manager, with a reason that is recorded."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from evaluation import services
from evaluation.models import SCORE_FIELDS, Survey, SurveyDelivery, SurveyResponse
from tests.factories import UserFactory

from .conftest import ANSWERS

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def link(token):
    return reverse("survey:answer", kwargs={"token": token})


def page_url(name, ticket, **kwargs):
    return reverse(f"evaluation:{name}", kwargs={"number": ticket.number, **kwargs})


@pytest.fixture
def other_engineer(db):
    return UserFactory(username="other-engineer", role="engineer")


# ---------------------------------------------------------------- answers from staff sessions


@pytest.mark.parametrize("who", ["engineer_client", "manager_client"])
def test_answer_from_a_staff_session_is_refused(request, who, new_survey):
    """The engineer whose work is rated (and any colleague) cannot answer from a signed-in browser."""
    client = request.getfixturevalue(who)
    response = client.post(link(new_survey.token), ANSWERS)
    assert response.status_code == 403
    text = response.content.decode()
    assert 'id="survey-staff-refused"' in text
    assert "此调查仅供客户填写" in text  # a translated page, not a bare error
    assert not SurveyResponse.objects.exists()
    assert Survey.objects.get().used_at is None
    # Nor is the form shown to a staff session; the customer can still answer.
    shown = client.get(link(new_survey.token))
    assert shown.status_code == 403
    assert b'id="survey-form"' not in shown.content
    assert Client().post(link(new_survey.token), ANSWERS).status_code == 302


def test_service_refuses_a_signed_in_respondent(new_survey, engineer):
    answers = {name: 5 for name in SCORE_FIELDS}
    with pytest.raises(PermissionDenied):
        services.survey_submit(token=new_survey.token, answers=answers, user=engineer)
    assert not SurveyResponse.objects.exists()


# ---------------------------------------------------------------- the link is not shown again


def test_emailed_link_is_recorded_and_never_shown(engineer_client, ticket):
    response = engineer_client.post(page_url("survey_create", ticket), {"delivery": "email"}, **HTMX)
    token = mail.outbox[0].body.split("/survey/")[1].split("/")[0]
    assert token not in response.content.decode()
    page = engineer_client.get(page_url("page", ticket)).content.decode()
    assert token not in page
    assert "已通过邮件发送给联系人" in page


def test_shown_link_is_only_in_the_answer_that_made_it(engineer_client, ticket):
    made = engineer_client.post(page_url("survey_create", ticket), {"delivery": "shown"}, **HTMX)
    assert 'id="new-survey-link"' in made.content.decode()
    again = engineer_client.get(page_url("page", ticket), **HTMX).content.decode()
    assert 'id="new-survey-link"' not in again
    assert "/survey/" not in again
    assert Survey.objects.get().delivery == SurveyDelivery.SHOWN


def test_no_new_link_once_the_customer_answered(new_survey, ticket, engineer, engineer_client):
    Client().post(link(new_survey.token), ANSWERS)
    with pytest.raises(ValidationError):
        services.survey_create(ticket=ticket, by=engineer, delivery=SurveyDelivery.SHOWN)
    assert Survey.objects.count() == 1
    page = engineer_client.get(page_url("page", ticket)).content.decode()
    assert 'id="survey-create-form"' not in page
    assert 'id="survey-answered-note"' in page


# ---------------------------------------------------------------- voiding and replacing


def test_replacing_a_pending_link_needs_a_reason_and_is_recorded(new_survey, ticket, engineer):
    with pytest.raises(ValidationError) as refused:
        services.survey_create(ticket=ticket, by=engineer, delivery=SurveyDelivery.SHOWN)
    assert "reason" in refused.value.message_dict
    assert Survey.objects.count() == 1
    assert services.survey_find_usable(new_survey.token) is not None

    services.survey_create(
        ticket=ticket, by=engineer, delivery=SurveyDelivery.SHOWN, replace_reason="客户说链接打不开"
    )
    old = Survey.objects.get(pk=new_survey.survey.pk)
    assert (old.voided_by, old.void_reason) == (engineer, "客户说链接打不开")
    assert old.voided_at is not None
    assert services.survey_find_usable(new_survey.token) is None


def test_another_engineer_cannot_void_or_replace_the_customers_link(new_survey, ticket, other_engineer):
    with pytest.raises(ValidationError):
        services.survey_create(
            ticket=ticket, by=other_engineer, delivery=SurveyDelivery.SHOWN, replace_reason="我想重发"
        )
    with pytest.raises(ValidationError):
        services.survey_void(survey=new_survey.survey, by=other_engineer, reason="我想作废")
    survey = Survey.objects.get()
    assert survey.voided_at is None and survey.voided_by is None
    assert services.survey_find_usable(new_survey.token) is not None


def test_another_engineer_gets_no_buttons_and_a_refusal(client, new_survey, ticket, other_engineer):
    client.force_login(other_engineer)
    page = client.get(page_url("page", ticket)).content.decode()
    assert 'id="survey-create-form"' not in page
    assert 'id="survey-void-form"' not in page
    assert 'id="survey-pending-note"' in page
    made = client.post(page_url("survey_create", ticket), {"delivery": "shown", "reason": "重发"})
    voided = client.post(page_url("survey_void", ticket, pk=new_survey.survey.pk), {"reason": "作废"})
    assert (made.status_code, voided.status_code) == (400, 400)
    assert Survey.objects.count() == 1
    assert services.survey_find_usable(new_survey.token) is not None


def test_manager_voids_a_link_with_a_reason(manager_client, manager, new_survey, ticket):
    url = page_url("survey_void", ticket, pk=new_survey.survey.pk)
    assert manager_client.post(url, {"reason": ""}).status_code == 400
    assert services.survey_find_usable(new_survey.token) is not None
    assert manager_client.post(url, {"reason": "发错了联系人"}).status_code == 302
    survey = Survey.objects.get()
    assert (survey.voided_by, survey.void_reason) == (manager, "发错了联系人")
    page = manager_client.get(page_url("page", ticket)).content.decode()
    assert "发错了联系人" in page
    assert Client().get(link(new_survey.token)).status_code == 404
