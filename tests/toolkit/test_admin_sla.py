"""Admins edit SLA policies and the business calendar in /admin/; others cannot."""

import pytest
from django.urls import reverse

from tests.factories import TicketFactory
from toolkit.models import BusinessCalendar, CalendarDay, SlaPolicy

pytestmark = pytest.mark.django_db


def test_admins_change_a_policy_but_cannot_add_or_delete_one(admin_client_role):
    policy = SlaPolicy.objects.get(priority="P1")
    url = reverse("admin:toolkit_slapolicy_change", args=[policy.pk])
    response = admin_client_role.post(
        url,
        {
            "first_response_minutes": "30",
            "resolution_minutes": "480",
            "clock": "24x7",
            "breach_repeat_minutes": "45",
        },
    )
    assert response.status_code == 302
    policy.refresh_from_db()
    assert (policy.priority, policy.first_response_minutes, policy.breach_repeat_minutes) == ("P1", 30, 45)
    assert admin_client_role.get(reverse("admin:toolkit_slapolicy_add")).status_code == 403
    assert (
        admin_client_role.get(reverse("admin:toolkit_slapolicy_delete", args=[policy.pk])).status_code == 403
    )
    listing = admin_client_role.get(reverse("admin:toolkit_slapolicy_changelist"))
    assert listing.status_code == 200
    assert [row.priority for row in listing.context["cl"].result_list] == ["P0", "P1", "P2", "P3"]


def test_a_policy_with_a_negative_target_is_refused(admin_client_role):
    policy = SlaPolicy.objects.get(priority="P0")
    url = reverse("admin:toolkit_slapolicy_change", args=[policy.pk])
    response = admin_client_role.post(
        url,
        {
            "first_response_minutes": "-5",
            "resolution_minutes": "240",
            "clock": "24x7",
            "breach_repeat_minutes": "30",
        },
    )
    assert response.status_code == 200 and response.context["adminform"].form.errors
    policy.refresh_from_db()
    assert policy.first_response_minutes == 15


def test_managers_cannot_change_policies(manager_client):
    policy = SlaPolicy.objects.get(priority="P2")
    url = reverse("admin:toolkit_slapolicy_change", args=[policy.pk])
    assert manager_client.get(url).status_code == 302  # not staff: the admin's login page
    manager_client.post(
        url,
        {
            "first_response_minutes": "1",
            "resolution_minutes": "2",
            "clock": "24x7",
            "breach_repeat_minutes": "0",
        },
    )
    policy.refresh_from_db()
    assert policy.first_response_minutes == 240


def test_engineers_cannot_open_the_sla_admin(engineer_client):
    assert engineer_client.get(reverse("admin:toolkit_slapolicy_changelist")).status_code in (302, 403)


def test_working_hours_must_end_after_they_start(admin_client_role):
    calendar, _created = BusinessCalendar.objects.get_or_create(pk=1)
    url = reverse("admin:toolkit_businesscalendar_change", args=[calendar.pk])
    response = admin_client_role.post(
        url, {"work_start": "18:00", "work_end": "09:00", "use_china_holidays": "on"}
    )
    assert response.status_code == 200
    assert "work_end" in response.context["adminform"].form.errors
    response = admin_client_role.post(
        url, {"work_start": "08:30", "work_end": "17:30", "use_china_holidays": "on"}
    )
    assert response.status_code == 302
    calendar.refresh_from_db()
    assert str(calendar) == "08:30–17:30"


def test_admins_add_a_company_day_off(admin_client_role):
    response = admin_client_role.post(
        reverse("admin:toolkit_calendarday_add"), {"date": "2026-12-31", "is_workday": "", "note": "年终盘点"}
    )
    assert response.status_code == 302
    assert CalendarDay.objects.get(date="2026-12-31").is_workday is False


def test_the_ticket_admin_does_not_change_stage_priority_or_sla(admin_client_role):
    ticket = TicketFactory()
    response = admin_client_role.get(reverse("admin:toolkit_ticket_change", args=[ticket.pk]))
    form_fields = response.context["adminform"].form.fields
    for name in ("stage", "priority", "sla_state", "sla_due_at"):
        assert name not in form_fields
