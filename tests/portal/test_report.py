"""The customer's report form: the link opens a phone-first form; a valid report logs one 新建 ticket
(source 工单系统, the words verbatim) and leads to its private status page; bad input keeps what the
customer typed; a double submit logs one ticket."""

import pytest
from django.urls import reverse
from django.utils import timezone

from portal import services
from portal.models import Report, ReportLink, StatusLink
from tests.factories import ContactFactory, UserFactory
from toolkit.choices import EventKind, Frequency, ImpactScope, Priority, ProblemType, Source, Stage
from toolkit.models import Contact, Notification, Ticket

from .conftest import answers

pytestmark = pytest.mark.django_db


def report_path(token):
    return reverse("portal_public:report", kwargs={"token": token})


def test_the_form_opens_without_login_and_asks_the_step_2_questions(anon, issued):
    response = anon.get(report_path(issued.token))
    assert response.status_code == 200
    text = response.content.decode()
    assert "问题现象" in text and "发生时间" in text and "影响范围" in text
    assert "错误提示" in text and "发生频率" in text
    for name in (
        "description",
        "occurred_at",
        "impact_scope",
        "users_affected",
        "error_message",
        "frequency",
    ):
        assert f'name="{name}"' in text
    assert 'name="contact_name"' in text and 'name="contact"' in text
    assert 'name="status_token"' in text
    assert response["Referrer-Policy"] == "strict-origin"
    assert "no-store" in response["Cache-Control"]
    assert "navbar" not in text  # its own page: no site navigation, no user


def test_the_form_speaks_english_on_request_and_by_the_browser(anon, issued, client):
    english = anon.get(report_path(issued.token) + "?lang=en").content.decode()
    assert "What happened?" in english and "问题现象" not in english
    # The choice is kept for the pages that follow (the status page after the redirect).
    assert "What happened?" in anon.get(report_path(issued.token)).content.decode()
    browser = client.get(report_path(issued.token), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert "What happened?" in browser.content.decode()


def test_a_report_logs_a_new_ticket_with_the_customers_words(anon, issued, customer, engineer):
    data = answers(description="  无法登录系统,提示“验证码错误”\r\n影响3名用户提交订单  ")
    response = anon.post(report_path(issued.token), data)

    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert (
        response["Location"]
        == reverse("portal_public:status", kwargs={"token": data["status_token"]}) + "?new=1"
    )
    assert ticket.stage == Stage.NEW
    assert ticket.source == Source.TICKET_SYSTEM
    assert ticket.customer == customer
    assert ticket.description == data["description"]  # verbatim, spaces and line breaks included
    assert ticket.error_message == "“验证码错误,请重试”"
    assert ticket.impact_scope == ImpactScope.SOME_USERS and ticket.users_affected == 3
    assert ticket.frequency == Frequency.PERSISTENT
    assert timezone.localtime(ticket.occurred_at).strftime("%Y-%m-%d %H:%M") == "2023-10-01 14:30"
    assert ticket.problem_type == ProblemType.FUNCTIONAL
    # Some users × medium urgency → P2 from the intake's matrix.
    assert ticket.priority == ticket.suggested_priority == Priority.P2
    assert ticket.owner == engineer and ticket.recorded_by == engineer
    assert ticket.contact.name == "王女士" and ticket.contact.email == "wang@tsa.example.com"
    assert ticket.contact_details == "wang@tsa.example.com"
    assert Report.objects.get().ticket == ticket
    link = StatusLink.objects.get()
    assert link.ticket == ticket and link.created_by is None
    assert link.token_hash == services.hash_token(data["status_token"])
    assert ReportLink.objects.get().last_used_at is not None
    # The SLA clock runs from the report, as for any ticket; the owner is told (once).
    assert ticket.slas.exists()
    [told] = Notification.objects.filter(user=engineer)
    assert told.event.kind == EventKind.ASSIGNED and told.event.ticket == ticket


def test_a_vip_customers_report_is_one_level_higher(anon, issued, customer):
    customer.tier = "vip"
    customer.save()
    anon.post(report_path(issued.token), answers())
    assert Ticket.objects.get().priority == Priority.P1


def test_the_contact_is_matched_by_email_or_phone_else_created(anon, issued, customer):
    known = ContactFactory(customer=customer, name="王女士", email="Wang@TSA.example.com", details="")
    anon.post(report_path(issued.token), answers(contact_name="小王", contact="wang@tsa.example.com"))
    assert Ticket.objects.get().contact == known

    phone = ContactFactory(customer=customer, name="李先生", details="13912345678")
    anon.post(report_path(issued.token), answers(contact_name="李", contact="13912345678"))
    assert Ticket.objects.order_by("-id").first().contact == phone

    anon.post(report_path(issued.token), answers(contact_name="赵女士", contact="+86 138 0000 1111"))
    new = Ticket.objects.order_by("-id").first().contact
    assert new.name == "赵女士" and new.details == "+86 138 0000 1111" and new.customer == customer
    # Another customer's contact with the same address is never used.
    assert Contact.objects.filter(customer=customer).count() == 3


def test_bad_input_is_refused_with_reasons_and_keeps_what_was_typed(anon, issued):
    data = answers(description="   ", contact="not a phone", occurred_at="2999-01-01T10:00")
    data["error_message"] = "Error500:ConnectionTimeout"
    response = anon.post(report_path(issued.token), data)
    assert response.status_code == 400
    text = response.content.decode()
    assert "Error500:ConnectionTimeout" in text  # kept
    assert data["status_token"] in text  # the same form: a resend is still one ticket
    assert "请填写电话或电子邮件地址" in text or "Give a phone number" in text
    assert not Ticket.objects.exists()


def test_a_double_submit_logs_one_ticket(anon, issued):
    data = answers()
    first = anon.post(report_path(issued.token), data)
    second = anon.post(report_path(issued.token), data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Ticket.objects.count() == 1


def test_a_form_without_its_key_saves_nothing(anon, issued):
    response = anon.post(report_path(issued.token), answers(status_token="short"))
    assert response.status_code == 400
    assert not Ticket.objects.exists()


def test_the_issuer_left_so_a_manager_owns_the_report(anon, customer, engineer, manager):
    issued = services.report_link_issue(customer=customer, by=engineer)
    engineer.is_active = False
    engineer.save()
    anon.post(report_path(issued.token), answers())
    assert Ticket.objects.get().owner == manager


def test_signed_in_staff_cannot_report_as_the_customer(engineer_client, issued):
    assert engineer_client.get(report_path(issued.token)).status_code == 403
    assert engineer_client.post(report_path(issued.token), answers()).status_code == 403
    assert not Ticket.objects.exists()


def test_report_link_issuers_need_the_right(customer):
    nobody = UserFactory(username="visitor")
    with pytest.raises(services.PermissionDenied):
        services.report_link_issue(customer=customer, by=nobody)
    assert not ReportLink.objects.exists()
