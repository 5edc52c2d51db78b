from datetime import datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from diagnosis.selectors import incident_children, incident_comparison, similar_open_tickets
from diagnosis.services import clean_filter_query, saved_filter_save, suggest_priority
from evaluation.models import Verification, VerificationMethod
from tests.factories import ContactFactory, CustomerFactory, TicketFactory
from toolkit import services
from toolkit.choices import Priority, Stage
from toolkit.models import StageChange, Ticket


@pytest.mark.parametrize(
    ("impact", "urgency", "vip", "peak", "expected"),
    [
        ("some_users", "high", False, False, "P1"),  # document row 1
        ("department", "high", False, False, "P0"),  # document row 2
        ("one_user", "low", False, False, "P3"),
        ("one_user", "medium", False, False, "P3"),
        ("everyone", "medium", False, False, "P1"),
        ("one_user", "medium", True, False, "P2"),  # VIP raises one level
        ("one_user", "medium", False, True, "P2"),  # so does peak time
        ("one_user", "medium", True, True, "P2"),  # but only one level in all
        ("everyone", "high", True, True, "P0"),  # never above P0
    ],
)
def test_priority_suggestion_matrix(impact, urgency, vip, peak, expected):
    suggestion = suggest_priority(impact_scope=impact, business_urgency=urgency, vip=vip, peak_time=peak)
    assert suggestion.priority == expected
    assert suggestion.raised == (vip or peak)


def _create(user, customer=None, **overrides):
    customer = customer or CustomerFactory()
    fields = dict(
        customer=customer,
        contact=ContactFactory(customer=customer),
        source="phone",
        occurred_at=timezone.now() - timedelta(hours=2),
        description="页面加载超10秒",
        problem_type="performance",
        priority="P2",
        suggested_priority="P2",
        owner=user,
    )
    fields.update(overrides)
    return services.ticket_create(recorded_by=user, **fields)


@pytest.mark.django_db
def test_ticket_numbers_are_per_day_and_sequential(engineer):
    first, second = _create(engineer), _create(engineer)
    day = timezone.localdate().strftime("%Y%m%d")
    assert first.number == f"TS-{day}-0001"
    assert second.number == f"TS-{day}-0002"


@pytest.mark.django_db
def test_ticket_number_follows_the_local_recording_day(engineer):
    recorded = timezone.make_aware(datetime(2023, 10, 1, 0, 30))  # 2023-09-30 16:30 UTC
    ticket = _create(engineer, occurred_at=recorded - timedelta(minutes=5), recorded_at=recorded)
    assert ticket.number == "TS-20231001-0001"


@pytest.mark.django_db
def test_claimed_import_number_is_never_handed_out_again(engineer):
    services.ticket_number_claim(number="TS-20231001-0007")
    assert services.ticket_numbers_reserve(day=datetime(2023, 10, 1).date()) == ["TS-20231001-0008"]


@pytest.mark.django_db
def test_future_occurrence_is_refused(engineer):
    with pytest.raises(ValidationError):
        _create(engineer, occurred_at=timezone.now() + timedelta(minutes=5))
    assert Ticket.objects.count() == 0


@pytest.mark.django_db
def test_override_without_reason_is_refused_and_with_reason_recorded(engineer):
    with pytest.raises(ValidationError):
        _create(engineer, priority="P0", suggested_priority="P2")
    ticket = _create(
        engineer, priority="P0", suggested_priority="P2", priority_override_reason="客户月底结账"
    )
    assert ticket.priority_overridden
    assert ticket.history.first().priority_override_reason == "客户月底结账"


@pytest.mark.django_db
def test_times_are_kept_to_the_minute(engineer):
    occurred = timezone.now().replace(second=42, microsecond=5) - timedelta(hours=1)
    ticket = _create(engineer, occurred_at=occurred)
    assert ticket.occurred_at.second == 0 and ticket.occurred_at.microsecond == 0
    assert ticket.recorded_at.second == 0


@pytest.mark.django_db
def test_description_cannot_be_changed_after_intake(engineer):
    ticket = _create(engineer, description="无法登录系统")
    with pytest.raises(ValidationError):
        services.ticket_update(ticket=ticket, by=engineer, description="改写后的描述")
    services.ticket_add_clarification(ticket=ticket, text="仅在Chrome下出现", by=engineer)
    ticket.refresh_from_db()
    assert ticket.description == "无法登录系统"
    assert ticket.clarifications.get().text == "仅在Chrome下出现"


@pytest.mark.django_db
def test_stage_change_records_who_when_why(engineer):
    ticket = _create(engineer)
    services.ticket_change_stage(ticket=ticket, to_stage=Stage.DIAGNOSIS, reason="开始排查", by=engineer)
    # The middle stages are optional: diagnosis straight to closed, once the resolution is verified.
    Verification.objects.create(ticket=ticket, verified_by=engineer, method=VerificationMethod.REMOTE_TEST)
    services.ticket_change_stage(ticket=ticket, to_stage=Stage.CLOSED, reason="错别字已修复", by=engineer)
    ticket.refresh_from_db()
    assert ticket.stage == Stage.CLOSED
    changes = list(StageChange.objects.filter(ticket=ticket).values_list("from_stage", "to_stage", "reason"))
    assert changes == [("new", "diagnosis", "开始排查"), ("diagnosis", "closed", "错别字已修复")]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "target"),
    [(Stage.CANCELLED, Stage.DIAGNOSIS), (Stage.CLOSED, Stage.DESIGN), (Stage.NEW, Stage.NEW)],
)
def test_forbidden_stage_changes_are_refused(engineer, start, target):
    ticket = TicketFactory(stage=start)
    with pytest.raises(ValidationError):
        services.ticket_change_stage(ticket=ticket, to_stage=target, reason="试试", by=engineer)
    ticket.refresh_from_db()
    assert ticket.stage == start
    assert not StageChange.objects.exists()


@pytest.mark.django_db
def test_stage_change_needs_a_reason(engineer):
    ticket = TicketFactory()
    with pytest.raises(ValidationError):
        services.ticket_change_stage(ticket=ticket, to_stage=Stage.DIAGNOSIS, reason="  ", by=engineer)


@pytest.mark.django_db
def test_incident_shows_what_children_share_and_how_they_differ(engineer):
    customer = CustomerFactory(name="TSA公司")
    parent = TicketFactory(customer=customer)
    children = [
        TicketFactory(customer=customer, priority=Priority.P1, error_message="Error500:ConnectionTimeout"),
        TicketFactory(customer=customer, priority=Priority.P2, error_message="Error500:ConnectionTimeout"),
    ]
    for child in children:
        services.ticket_link_parent(ticket=child, parent=parent, by=engineer)
    with translation.override("en"):
        comparison = {str(row.label): row for row in incident_comparison(list(incident_children(parent)))}
    assert comparison["customer"].shared == "TSA公司"
    assert comparison["error message (if any)"].shared == "Error500:ConnectionTimeout"
    assert comparison["priority"].shared is None
    assert sorted(comparison["priority"].values) == [("P1 High", 1), ("P2 Medium", 1)]


@pytest.mark.django_db
def test_incidents_are_one_level_deep(engineer):
    top, middle, leaf = TicketFactory(), TicketFactory(), TicketFactory()
    services.ticket_link_parent(ticket=middle, parent=top, by=engineer)
    with pytest.raises(ValidationError):
        services.ticket_link_parent(ticket=leaf, parent=middle, by=engineer)
    with pytest.raises(ValidationError):
        services.ticket_link_parent(ticket=top, parent=top, by=engineer)


@pytest.mark.django_db
def test_similar_open_tickets_by_customer_error_and_text():
    customer = CustomerFactory(name="TSB工厂")
    same_error = TicketFactory(error_message="ORA-12170", description="报表导出失败")
    same_text = TicketFactory(description="设备数据同步延迟,影响生产调度")
    same_customer = TicketFactory(customer=customer, description="打印机无法连接")
    closed = TicketFactory(description="设备数据同步延迟,影响生产调度", stage=Stage.CLOSED)
    unrelated = TicketFactory(description="按钮文字显示不全")

    found = {m.ticket for m in similar_open_tickets(error_message="ORA-12170")}
    assert found == {same_error}
    found = {m.ticket for m in similar_open_tickets(description="设备数据同步延迟")}
    assert same_text in found and closed not in found and unrelated not in found
    found = {m.ticket for m in similar_open_tickets(customer_name="TSB工厂")}
    assert found == {same_customer}
    # The document's "无" (no error) is not a shared error.
    TicketFactory(error_message="无", description="其他问题")
    assert similar_open_tickets(error_message="无") == []


@pytest.mark.django_db
def test_saved_filter_drops_the_page_and_replaces_by_name(manager):
    saved_filter_save(user=manager, name="P0 周报", query_string="priority=P0&page=3")
    saved = saved_filter_save(user=manager, name="P0 周报", query_string="priority=P0&priority=P1")
    assert manager.saved_filters.count() == 1
    assert saved.query_string == "priority=P0&priority=P1"
    assert clean_filter_query("page=2&q=验证码") == "q=%E9%AA%8C%E8%AF%81%E7%A0%81"
