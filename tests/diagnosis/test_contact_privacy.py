"""Contact details stay masked for those who may not see them: edit form, history, free text, export,
suggestions; nobody overwrites them blind; unmasked views are logged."""

import io

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from knowledge import selectors as knowledge_selectors
from tests.factories import TicketFactory
from toolkit.choices import Stage, ViewSurface
from toolkit.models import ContactDetailView, StageChange
from toolkit.services import ticket_add_clarification, ticket_update

PHONE, PHONE_MASKED = "13912345678", "139****5678"
NEW_PHONE, NEW_PHONE_MASKED = "13787654321", "137****4321"
EMAIL, EMAIL_MASKED = "li.lei@example.com", "l****@example.com"


@pytest.fixture
def ticket(db):
    """Someone else's ticket (the engineer fixture neither owns nor recorded it)."""
    return TicketFactory(
        contact_details=PHONE,
        description=f"无法登录,请回电 {NEW_PHONE} 或发邮件 {EMAIL}",
        error_message=f"通知发往 {EMAIL} 失败",
        preliminary_judgement=f"需联系 {NEW_PHONE} 确认",
    )


@pytest.fixture
def engineer_client(engineer):
    """Its own client: manager_client and the stock engineer_client share one (the last login wins)."""
    client = Client()
    client.force_login(engineer)
    return client


def _page(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def _edit_data(form, ticket):
    data = {name: form[name].value() or "" for name in form.fields if not form.fields[name].disabled}
    data["occurred_at"] = timezone.localtime(ticket.occurred_at).strftime("%Y-%m-%dT%H:%M")
    data["owner"] = ticket.owner_id
    return data


# ---------------------------------------------------------------- the edit form


def test_edit_form_does_not_hold_the_contact_details_for_an_engineer_without_access(engineer_client, ticket):
    response = engineer_client.get(reverse("diagnosis:edit", args=[ticket.number]))
    html = response.content.decode()
    assert PHONE not in html and NEW_PHONE not in html and EMAIL not in html
    assert PHONE_MASKED in html and EMAIL_MASKED in html
    form = response.context["form"]
    assert "contact_details" not in form.fields
    assert "error_message" not in form.fields  # holds an e-mail address: shown masked, not editable


def test_edit_form_is_prefilled_for_the_owner(engineer_client, engineer, ticket):
    ticket.owner = engineer
    ticket.save()
    response = engineer_client.get(reverse("diagnosis:edit", args=[ticket.number]))
    assert response.context["form"]["contact_details"].value() == PHONE
    assert PHONE in response.content.decode()


def test_posting_contact_details_from_the_masked_form_changes_nothing(engineer_client, ticket):
    url = reverse("diagnosis:edit", args=[ticket.number])
    data = _edit_data(engineer_client.get(url).context["form"], ticket)
    data.update(contact_details="13000000000", error_message="x", contact_details_masked="13000000000")
    data["judgement_unverified"] = "on"
    response = engineer_client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    ticket.refresh_from_db()
    assert ticket.judgement_unverified  # the edit itself went through
    assert ticket.contact_details == PHONE
    assert ticket.error_message == f"通知发往 {EMAIL} 失败"


def test_service_refuses_a_blind_overwrite(engineer, manager, ticket):
    with pytest.raises(PermissionDenied):
        ticket_update(ticket=ticket, by=engineer, contact_details="13000000000")
    with pytest.raises(PermissionDenied):
        ticket_update(ticket=ticket, by=engineer, preliminary_judgement="已确认")  # held a phone number
    ticket.refresh_from_db()
    assert ticket.contact_details == PHONE
    ticket_update(ticket=ticket, by=manager, contact_details=NEW_PHONE)
    ticket.refresh_from_db()
    assert ticket.contact_details == NEW_PHONE


# ---------------------------------------------------------------- history


def test_history_diff_of_contact_details_is_masked(engineer_client, manager_client, manager, ticket):
    ticket_update(ticket=ticket, by=manager, contact_details=NEW_PHONE)
    StageChange.objects.create(
        ticket=ticket,
        from_stage=Stage.NEW,
        to_stage=Stage.DIAGNOSIS,
        reason=f"已电话 {PHONE}",
        changed_by=manager,
    )
    html = _page(engineer_client, ticket.get_absolute_url())
    timeline = html[html.index('id="timeline"') :]
    assert PHONE not in timeline and NEW_PHONE not in timeline
    assert PHONE_MASKED in timeline and NEW_PHONE_MASKED in timeline
    timeline = _page(manager_client, ticket.get_absolute_url())
    assert PHONE in timeline and NEW_PHONE in timeline


# ---------------------------------------------------------------- free text


def test_phones_and_emails_in_free_text_are_masked_on_the_ticket_page(engineer_client, manager, ticket):
    ticket_add_clarification(ticket=ticket, text=f"客户新号码 {PHONE}", by=manager)
    html = _page(engineer_client, ticket.get_absolute_url())
    assert PHONE not in html and NEW_PHONE not in html and EMAIL not in html
    assert "无法登录,请回电 137****4321 或发邮件 l****@example.com" in html
    assert f"客户新号码 {PHONE_MASKED}" in html


def test_free_text_is_shown_as_typed_to_those_who_may_see_it(manager_client, ticket):
    html = _page(manager_client, ticket.get_absolute_url())
    assert NEW_PHONE in html and EMAIL in html


def test_free_text_is_masked_in_the_table(engineer_client, ticket):
    html = _page(engineer_client, reverse("diagnosis:list"))
    assert ticket.number in html
    assert NEW_PHONE not in html and EMAIL not in html and PHONE not in html
    assert NEW_PHONE_MASKED in html


def test_free_text_is_masked_in_the_export(engineer_client, manager_client, ticket):
    def description_cell(client):
        response = client.get(reverse("diagnosis:export"))
        assert response.status_code == 200
        sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
        row = next(sheet.iter_rows(min_row=3, values_only=True))
        return row[7], row[8], row[11]

    description, error, judgement = description_cell(engineer_client)
    assert description == "无法登录,请回电 137****4321 或发邮件 l****@example.com"
    assert error == "通知发往 l****@example.com 失败"
    assert judgement == "需联系 137****4321 确认"
    assert description_cell(manager_client)[0] == ticket.description


def test_similar_tickets_at_intake_show_masked_text(engineer_client, ticket):
    html = _page(engineer_client, reverse("diagnosis:similar") + "?description=无法登录,请回电")
    assert ticket.number in html
    assert NEW_PHONE not in html and EMAIL not in html


def test_knowledge_suggestions_mask_resolved_tickets(engineer, manager, ticket):
    ticket.stage = Stage.CLOSED
    ticket.save()  # the search document follows the save
    for viewer, expected in ((engineer, NEW_PHONE_MASKED), (manager, NEW_PHONE), (None, NEW_PHONE_MASKED)):
        found = knowledge_selectors.suggestions(description="无法登录,请回电", viewer=viewer).tickets
        assert [t.pk for t in found] == [ticket.pk]
        assert expected in str(found[0].snippet_html)
        if expected == NEW_PHONE_MASKED:
            assert NEW_PHONE not in str(found[0].snippet_html)


# ---------------------------------------------------------------- who saw them


def test_unmasked_views_are_logged_once_per_hour(manager_client, manager, engineer_client, ticket):
    _page(manager_client, ticket.get_absolute_url())
    _page(manager_client, ticket.get_absolute_url())
    _page(manager_client, reverse("diagnosis:edit", args=[ticket.number]))
    _page(manager_client, reverse("diagnosis:list"))
    rows = ContactDetailView.objects.filter(ticket=ticket, user=manager)
    assert sorted(rows.values_list("surface", flat=True)) == sorted(
        [ViewSurface.PAGE, ViewSurface.EDIT, ViewSurface.TABLE]
    )
    _page(engineer_client, ticket.get_absolute_url())  # sees them masked: nothing to log
    assert ContactDetailView.objects.count() == 3
