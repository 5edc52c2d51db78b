"""The audit (export log, contact-detail view log) is append-only for everyone, superusers included:
in the admin, through the ORM, and on PostgreSQL in the database itself."""

import contextlib

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from tests.factories import TicketFactory, UserFactory
from toolkit.audit import contact_details_viewed, forget_recent_views
from toolkit.choices import ViewSurface
from toolkit.models import AppendOnlyError, ContactDetailView, ExportLog


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def export_row(superuser):
    return ExportLog.objects.create(
        user=superuser, table="diagnosis", row_count=3, contact_details_masked=False
    )


@pytest.fixture
def view_row(superuser):
    [ticket] = contact_details_viewed(user=superuser, tickets=[TicketFactory()], surface=ViewSurface.PAGE)
    return ContactDetailView.objects.get(ticket=ticket)


@pytest.mark.parametrize("model", ["exportlog", "contactdetailview"])
def test_superuser_cannot_add_change_or_delete_audit_rows_in_the_admin(
    client, superuser, export_row, view_row, model
):
    client.force_login(superuser)
    row = export_row if model == "exportlog" else view_row
    changelist = client.get(reverse(f"admin:toolkit_{model}_changelist"))
    assert changelist.status_code == 200
    assert "delete_selected" not in changelist.content.decode()
    assert client.get(reverse(f"admin:toolkit_{model}_add")).status_code == 403
    assert (
        client.post(reverse(f"admin:toolkit_{model}_delete", args=[row.pk]), {"post": "yes"}).status_code
        == 403
    )
    response = client.post(
        reverse(f"admin:toolkit_{model}_changelist"),
        {"action": "delete_selected", "_selected_action": [row.pk]},
    )
    assert response.status_code in (200, 302)
    assert type(row).objects.filter(pk=row.pk).exists()
    # The change page only shows the row.
    page = client.get(reverse(f"admin:toolkit_{model}_change", args=[row.pk]))
    assert (
        page.status_code == 200 and 'type="submit"' not in page.content.decode().split('id="content-main"')[1]
    )


def test_orm_refuses_to_change_or_delete_audit_rows(export_row, view_row):
    for row in (export_row, view_row):
        with pytest.raises(AppendOnlyError):
            row.delete()
        with pytest.raises(AppendOnlyError):
            row.save()
        with pytest.raises(AppendOnlyError):
            type(row).objects.filter(pk=row.pk).delete()
        with pytest.raises(AppendOnlyError):
            type(row).objects.filter(pk=row.pk).update(user=row.user)
    assert ExportLog.objects.count() == 1 and ContactDetailView.objects.count() == 1


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the database trigger exists on PostgreSQL only"
)
@pytest.mark.parametrize(
    "statement",
    [
        "DELETE FROM toolkit_exportlog",
        "UPDATE toolkit_exportlog SET user_id = user_id",
        "DELETE FROM toolkit_contactdetailview",
        "UPDATE toolkit_contactdetailview SET user_id = user_id",
    ],
)
def test_postgresql_refuses_raw_update_and_delete(export_row, view_row, statement):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
    assert ExportLog.objects.count() == 1 and ContactDetailView.objects.count() == 1


def test_view_log_keeps_one_row_per_user_ticket_surface_and_hour(manager, engineer):
    ticket = TicketFactory()
    for _ in range(3):
        contact_details_viewed(user=manager, tickets=[ticket], surface=ViewSurface.PAGE)
    contact_details_viewed(user=manager, tickets=[ticket], surface=ViewSurface.ADMIN)
    assert contact_details_viewed(user=engineer, tickets=[ticket], surface=ViewSurface.PAGE) == []
    rows = ContactDetailView.objects.all()
    assert sorted(rows.values_list("surface", flat=True)) == ["admin", "page"]
    assert all(row.hour == row.viewed_at.replace(minute=0, second=0, microsecond=0) for row in rows)
    assert all(row.viewed_at <= timezone.now() for row in rows)


def test_a_reload_within_the_hour_writes_nothing_but_a_new_ticket_on_the_page_is_logged(
    manager, django_assert_num_queries, django_capture_on_commit_callbacks
):
    first, second = TicketFactory(), TicketFactory()
    with django_capture_on_commit_callbacks(execute=True):
        contact_details_viewed(user=manager, tickets=[first], surface=ViewSurface.PAGE)
    with django_assert_num_queries(0):
        contact_details_viewed(user=manager, tickets=[first], surface=ViewSurface.PAGE)
    with django_assert_num_queries(1):
        contact_details_viewed(user=manager, tickets=[first, second], surface=ViewSurface.PAGE)
    assert ContactDetailView.objects.filter(user=manager).count() == 2


def test_a_process_that_has_not_seen_the_view_still_logs_it_once(manager, django_capture_on_commit_callbacks):
    """Each web worker remembers only its own writes: another worker's first view of the same ticket
    INSERTs again, and the unique constraint keeps one row."""
    ticket = TicketFactory()
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            contact_details_viewed(user=manager, tickets=[ticket], surface=ViewSurface.PAGE)
        forget_recent_views()  # the next view comes from another process
    assert ContactDetailView.objects.filter(user=manager, ticket=ticket).count() == 1


def test_a_view_whose_request_rolled_back_is_logged_by_the_next_view(
    manager, django_capture_on_commit_callbacks
):
    ticket = TicketFactory()
    with (
        django_capture_on_commit_callbacks(execute=True),
        contextlib.suppress(RuntimeError),
        transaction.atomic(),
    ):
        contact_details_viewed(user=manager, tickets=[ticket], surface=ViewSurface.PAGE)
        raise RuntimeError("the page failed after logging")
    assert not ContactDetailView.objects.filter(ticket=ticket).exists()
    with django_capture_on_commit_callbacks(execute=True):
        contact_details_viewed(user=manager, tickets=[ticket], surface=ViewSurface.PAGE)
    assert ContactDetailView.objects.filter(user=manager, ticket=ticket).count() == 1
