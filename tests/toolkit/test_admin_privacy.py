"""The admin keeps the privacy rule: a staff user without the contact-details permission sees contact
data masked (change pages, lists, history) and cannot overwrite it."""

import pytest
from django.urls import reverse

from tests.factories import TicketFactory, UserFactory
from toolkit.choices import ViewSurface
from toolkit.models import ContactDetailView
from toolkit.services import ticket_update

PHONE, PHONE_MASKED = "13912345678", "139****5678"
NEW_PHONE, NEW_PHONE_MASKED = "13787654321", "137****4321"


@pytest.fixture
def staff_engineer(db):
    """Staff (may open the admin) with the engineer role: no contact-details permission."""
    return UserFactory(username="staffeng", role="engineer", is_staff=True)


@pytest.fixture
def staff_client(client, staff_engineer):
    client.force_login(staff_engineer)
    return client


@pytest.fixture
def ticket(db):
    return TicketFactory(contact_details=PHONE, description=f"请回电 {NEW_PHONE}")


def test_ticket_change_page_is_masked_for_staff_without_the_permission(staff_client, ticket):
    response = staff_client.get(reverse("admin:toolkit_ticket_change", args=[ticket.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert PHONE not in html and NEW_PHONE not in html
    assert ticket.contact.name not in html
    assert PHONE_MASKED in html and NEW_PHONE_MASKED in html
    assert 'name="contact_details"' not in html


def test_staff_without_the_permission_cannot_overwrite_contact_details(staff_client, ticket):
    url = reverse("admin:toolkit_ticket_change", args=[ticket.pk])
    form = staff_client.get(url).context["adminform"].form
    data = {name: form[name].value() if form[name].value() is not None else "" for name in form.fields}
    for name in ("occurred_at",):
        value = form[name].value()
        data.update({f"{name}_0": f"{value:%Y-%m-%d}", f"{name}_1": f"{value:%H:%M:%S}"})
    data.update(contact_details="13000000000", error_message="changed", users_affected="7")
    response = staff_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    ticket.refresh_from_db()
    assert ticket.contact_details == PHONE
    assert ticket.error_message == ""  # free text is masked (read-only) too
    assert ticket.users_affected == 7  # the rest still saves


def test_contact_admin_is_masked_for_staff_without_the_permission(staff_client, ticket):
    contact = ticket.contact
    page = staff_client.get(reverse("admin:toolkit_contact_changelist")).content.decode()
    assert contact.name not in page
    page = staff_client.get(reverse("admin:toolkit_contact_change", args=[contact.pk])).content.decode()
    assert contact.name not in page and contact.details not in page
    assert 'name="details"' not in page


def test_history_admin_shows_masked_diffs_and_no_old_versions(staff_client, manager, ticket):
    ticket_update(ticket=ticket, by=manager, contact_details=NEW_PHONE)
    response = staff_client.get(reverse("admin:toolkit_ticket_history", args=[ticket.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert PHONE not in html and NEW_PHONE not in html
    assert PHONE_MASKED in html and NEW_PHONE_MASKED in html
    version = ticket.history.earliest().history_id
    url = reverse("admin:toolkit_ticket_simple_history", args=[ticket.pk, version])
    assert staff_client.get(url).status_code == 403


def test_an_old_version_opens_for_those_who_may_see_contact_details(admin_client_role, manager, ticket):
    """simple_history's page of one old version (the "revert" form) was a 500 for everyone allowed in."""
    ticket_update(ticket=ticket, by=manager, contact_details=NEW_PHONE)
    version = ticket.history.earliest().history_id
    url = reverse("admin:toolkit_ticket_simple_history", args=[ticket.pk, version])
    response = admin_client_role.get(url)
    assert response.status_code == 200
    assert PHONE in response.content.decode()  # the old value, as it was
    assert ContactDetailView.objects.filter(ticket=ticket, surface=ViewSurface.ADMIN).exists()
    contact = ticket.contact
    version = contact.history.earliest().history_id
    url = reverse("admin:toolkit_contact_simple_history", args=[contact.pk, version])
    assert admin_client_role.get(url).status_code == 200


def test_admin_with_the_permission_sees_and_is_logged(admin_client_role, admin_user, ticket):
    response = admin_client_role.get(reverse("admin:toolkit_ticket_change", args=[ticket.pk]))
    assert PHONE in response.content.decode()
    assert ContactDetailView.objects.filter(
        user=admin_user, ticket=ticket, surface=ViewSurface.ADMIN
    ).exists()
