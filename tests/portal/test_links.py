"""The engineers' side: issuing a link shows it once with its QR code; the pages list who issued and
who revoked what; the ticket page's card tells whether the customer has links; roles are checked."""

import pytest
from django.urls import reverse

from portal import selectors, services
from portal.models import ReportLink, StatusLink
from tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(customer, engineer):
    return TicketFactory(number="TS-20231001-0001", customer=customer, owner=engineer)


def test_an_issued_report_link_is_shown_once_with_its_qr_code(engineer_client, customer):
    page = reverse("portal:report_link", kwargs={"pk": customer.pk})
    response = engineer_client.post(reverse("portal:report_link_issue", kwargs={"pk": customer.pk}))
    assert response.status_code == 302 and response["Location"] == page

    text = engineer_client.get(page).content.decode()
    assert 'id="portal-issued"' in text and "<svg" in text and 'class="portal-qr"' in text
    url = text.split('id="portal-issued-url" value="', 1)[1].split('"', 1)[0]
    assert "/report/" in url
    # The link works for the customer (a browser without the engineer's session).
    from django.test import Client

    assert Client().get(url.split("8000", 1)[-1]).status_code == 200
    # Shown once: the page does not show it again, only that a link works.
    again = engineer_client.get(page).content.decode()
    assert 'id="portal-issued"' not in again and url not in again
    assert 'id="portal-report-active"' in again


def test_issuing_again_stops_the_old_link_and_the_page_says_so(engineer_client, customer):
    issue = reverse("portal:report_link_issue", kwargs={"pk": customer.pk})
    engineer_client.post(issue)
    engineer_client.post(issue)
    assert ReportLink.objects.filter(revoked_at__isnull=True).count() == 1
    text = engineer_client.get(reverse("portal:report_link", kwargs={"pk": customer.pk})).content.decode()
    assert "已由新链接取代" in text


def test_revoking_from_the_page_records_the_reason(engineer_client, customer, engineer):
    engineer_client.post(reverse("portal:report_link_issue", kwargs={"pk": customer.pk}))
    link = ReportLink.objects.get()
    revoke = reverse("portal:report_link_revoke", kwargs={"pk": link.pk})
    assert engineer_client.post(revoke, {"reason": ""}).status_code == 302
    assert ReportLink.objects.get().revoked_at is None  # no reason, nothing changed
    engineer_client.post(revoke, {"reason": "二维码贴错了地方"})
    link.refresh_from_db()
    assert link.revoked_by == engineer and link.revoke_reason == "二维码贴错了地方"


def test_a_status_link_for_a_phone_ticket(engineer_client, ticket):
    page = reverse("portal:status_link", kwargs={"number": ticket.number})
    engineer_client.post(reverse("portal:status_link_issue", kwargs={"number": ticket.number}))
    text = engineer_client.get(page).content.decode()
    assert "/status/" in text and "<svg" in text
    link = StatusLink.objects.get()
    assert link.ticket == ticket and link.created_by is not None
    engineer_client.post(reverse("portal:status_link_revoke", kwargs={"pk": link.pk}), {"reason": "客户换人"})
    assert StatusLink.objects.get().revoked_at is not None


def test_the_ticket_page_card_shows_the_customers_links(engineer_client, ticket, customer):
    html = engineer_client.get(ticket.get_absolute_url()).content.decode()
    assert 'id="portal-panel"' in html
    assert reverse("portal:status_link", kwargs={"number": ticket.number}) in html
    assert reverse("portal:report_link", kwargs={"pk": customer.pk}) in html
    engineer_client.post(reverse("portal:status_link_issue", kwargs={"number": ticket.number}))
    html = engineer_client.get(ticket.get_absolute_url()).content.decode()
    assert "链接有效" in html


def test_people_without_a_role_get_nothing(client, no_role_user, customer, ticket):
    client.force_login(no_role_user)
    for path in (
        reverse("portal:report_link", kwargs={"pk": customer.pk}),
        reverse("portal:status_link", kwargs={"number": ticket.number}),
    ):
        assert client.get(path).status_code == 403
    assert client.post(reverse("portal:report_link_issue", kwargs={"pk": customer.pk})).status_code == 403
    assert (
        client.post(reverse("portal:status_link_issue", kwargs={"number": ticket.number})).status_code == 403
    )
    assert not ReportLink.objects.exists() and not StatusLink.objects.exists()


def test_a_bad_back_link_is_ignored(engineer_client, customer):
    path = reverse("portal:report_link", kwargs={"pk": customer.pk})
    assert engineer_client.get(path + "?ticket=../../x/y").status_code == 200


def test_the_link_pages_take_a_fixed_number_of_queries(
    engineer_client, customer, ticket, django_assert_max_num_queries
):
    issue = reverse("portal:report_link_issue", kwargs={"pk": customer.pk})
    status_issue = reverse("portal:status_link_issue", kwargs={"number": ticket.number})
    pages = [
        reverse("portal:report_link", kwargs={"pk": customer.pk}),
        reverse("portal:status_link", kwargs={"number": ticket.number}),
    ]
    engineer_client.post(issue)
    engineer_client.post(status_issue)
    counts = []
    for page in pages:
        with django_assert_max_num_queries(20) as captured:
            engineer_client.get(page)
        counts.append(len(captured.captured_queries))
    for _ in range(6):
        engineer_client.post(issue)
        engineer_client.post(status_issue)
    for page, count in zip(pages, counts, strict=True):
        with django_assert_max_num_queries(count):
            engineer_client.get(page)


def test_the_admin_lists_links_without_their_hashes(client, admin_user, customer, engineer):
    from portal import services

    admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    issued = services.report_link_issue(customer=customer, by=engineer)
    listing = client.get(reverse("admin:portal_reportlink_changelist"))
    assert listing.status_code == 200 and "TSA公司" in listing.content.decode()
    detail = client.get(reverse("admin:portal_reportlink_change", args=[issued.link.pk])).content.decode()
    assert issued.link.token_hash not in detail and issued.token not in detail
    assert client.get(reverse("admin:portal_statuslink_changelist")).status_code == 200
    assert client.get(reverse("admin:portal_report_changelist")).status_code == 200


def test_the_ticket_card_shows_the_working_status_link_and_the_customers_report_link(
    ticket, customer, engineer, django_assert_num_queries
):
    with django_assert_num_queries(1):
        card = selectors.ticket_card(ticket)
    assert (card.status_link, card.has_report_link, card.from_report) == (None, False, False)

    first = services.status_link_issue(ticket=ticket, by=engineer)
    services.status_link_revoke(link=first.link, by=engineer, reason="发错了")
    working = services.status_link_issue(ticket=ticket, by=engineer).link
    report = services.report_link_issue(customer=customer, by=engineer).link
    with django_assert_num_queries(1):
        card = selectors.ticket_card(ticket)
    assert card.status_link.pk == working.pk
    assert card.status_link.created_at == working.created_at
    assert card.status_link.created_by_id == engineer.pk
    assert (card.has_report_link, card.from_report) == (True, False)

    services.report_link_revoke(link=report, by=engineer, reason="客户要求")
    services.status_link_revoke(link=working, by=engineer, reason="客户要求")
    card = selectors.ticket_card(ticket)
    assert (card.status_link, card.has_report_link) == (None, False)
