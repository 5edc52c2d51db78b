"""`manage.py seed_demo`: demo users with printed passwords, the document's rows, generated tickets."""

import json
import re
import stat
from collections import Counter
from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.utils import timezone

from demo.scenarios import scenario_of
from toolkit import services as core
from toolkit.choices import Priority, ProblemType, SlaState, Source, Stage
from toolkit.models import Contact, Customer, Ticket, User
from toolkit.services import TICKET_NUMBER_RE

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
PASSWORD_LINE = re.compile(
    r"^\s+(engineer|manager|admin)\s+.*?([a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4})\s*$", re.M
)
DOCUMENT_NUMBERS = {"TS-20231001-0001", "TS-20231001-0002"}


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    # The default PBKDF2 takes ~0.5 s per password; these tests set and check a dozen.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def printed_passwords(output: str) -> dict[str, str]:
    return dict(PASSWORD_LINE.findall(output))


def generated_tickets():
    return Ticket.objects.exclude(number__in=DOCUMENT_NUMBERS)


def test_demo_users_are_in_their_groups_and_printed_passwords_log_in(client):
    output = seed(tickets=5)

    passwords = printed_passwords(output)
    assert set(passwords) == {"engineer", "manager", "admin"}
    for username, password in passwords.items():
        user = User.objects.get(username=username)
        assert list(user.groups.values_list("name", flat=True)) == [username]
        assert client.login(username=username, password=password), username
        client.logout()

    engineer = User.objects.get(username="engineer")
    manager = User.objects.get(username="manager")
    admin = User.objects.get(username="admin")
    assert engineer.job_title == "技术工程师" and engineer.first_name
    assert manager.job_title == "服务经理"
    assert engineer.manager == manager
    assert admin.is_staff and admin.is_superuser
    assert not engineer.is_staff and not manager.is_superuser


def test_owner_engineers_exist_but_cannot_log_in():
    seed(tickets=0)

    engineers = Group.objects.get(name="engineer").user_set
    titles = set(engineers.values_list("job_title", flat=True))
    assert {"数据库工程师", "网络工程师", "前端开发", "技术工程师"} <= titles
    dba = User.objects.get(job_title="数据库工程师")
    assert not dba.has_usable_password()


def test_document_row_one_exactly_as_in_the_document():
    seed(tickets=0)

    ticket = Ticket.objects.get(customer__name="TSA公司")
    assert ticket.number == "TS-20231001-0001"
    assert ticket.contact.name == "*女士"
    assert ticket.contact_details == "1385678"
    assert ticket.source == Source.TICKET_SYSTEM
    assert ticket.get_source_display() == "工单系统"
    assert ticket.occurred_at == datetime(2023, 10, 1, 14, 30, tzinfo=SHANGHAI)
    assert ticket.description == "无法登录系统,提示“验证码错误”,影响3名用户提交订单"
    assert ticket.error_message == "“验证码错误,请重试”"
    assert ticket.problem_type == ProblemType.FUNCTIONAL
    assert ticket.priority == Priority.P1
    assert ticket.suggested_priority == Priority.P1
    assert ticket.priority_override_reason == ""
    assert (ticket.impact_scope, ticket.users_affected, ticket.business_urgency) == ("some_users", 3, "high")
    assert ticket.preliminary_judgement == "验证码接口异常"
    assert not ticket.judgement_unverified
    assert ticket.owner.display_name == "技术工程师*"
    assert ticket.recorded_by.username == "engineer"
    assert ticket.recorded_at == datetime(2023, 10, 1, 14, 35, tzinfo=SHANGHAI)
    assert ticket.parent is None
    [created] = ticket.history.all()
    assert created.history_type == "+"
    assert created.history_user.username == "engineer"


def test_document_row_two_exactly_as_in_the_document():
    seed(tickets=0)

    ticket = Ticket.objects.get(customer__name="TSB工厂")
    assert ticket.number == "TS-20231001-0002"
    assert ticket.contact.name == "*先生"
    assert ticket.contact_details == "139"
    assert ticket.get_source_display() == "电话"
    assert ticket.occurred_at == datetime(2023, 10, 1, 16, 0, tzinfo=SHANGHAI)
    assert ticket.description == "设备数据同步延迟,实时数据刷新间隔5分钟,影响生产调度"
    assert ticket.error_message == "无"
    assert ticket.problem_type == ProblemType.FUNCTIONAL
    assert ticket.priority == ticket.suggested_priority == Priority.P0
    assert (ticket.impact_scope, ticket.business_urgency) == ("department", "high")
    assert ticket.preliminary_judgement == "网络带宽不足"
    assert ticket.owner.display_name == "网络工程师*"
    assert ticket.recorded_by.username == "engineer"
    assert ticket.recorded_at == datetime(2023, 10, 1, 16, 5, tzinfo=SHANGHAI)


def test_generates_the_requested_number_of_plausible_tickets():
    seed(tickets=50)

    tickets = list(generated_tickets().select_related("customer", "recorded_by"))
    assert len(tickets) == 50
    now = timezone.now()
    for ticket in tickets:
        match = TICKET_NUMBER_RE.match(ticket.number)
        assert match, ticket.number
        assert match["day"] == f"{timezone.localdate(ticket.recorded_at):%Y%m%d}"
        assert now - timedelta(days=180) < ticket.occurred_at <= ticket.recorded_at <= now
        assert ticket.occurred_at.second == 0 and ticket.recorded_at.second == 0
        assert re.search(r"[\u4e00-\u9fff]", ticket.description)
        if ticket.priority != ticket.suggested_priority:
            assert ticket.priority_override_reason
    assert len({ticket.number for ticket in tickets}) == 50
    assert len({ticket.problem_type for ticket in tickets}) > 1
    assert len({ticket.customer_id for ticket in tickets}) > 5


def test_generated_tickets_have_a_created_history_record_by_their_recorder():
    seed(tickets=20)

    for ticket in generated_tickets():
        # Chapters' demo data may change a few tickets later (stage moves); the first record is the creation.
        created, *later = ticket.history.order_by("history_id")
        assert [record.history_type for record in later] == ["~"] * len(later)
        assert created.history_type == "+"
        assert created.history_user_id == ticket.recorded_by_id
        assert created.history_date == ticket.recorded_at
        assert created.number == ticket.number


def test_incidents_are_one_level_deep():
    seed(tickets=1000, seed=7)

    children = generated_tickets().filter(parent__isnull=False)
    assert children.exists()
    assert not children.filter(parent__parent__isnull=False).exists()
    for child in children.select_related("parent")[:50]:
        assert child.parent.error_message == child.error_message
        assert child.parent.recorded_at <= child.recorded_at


def test_second_run_duplicates_no_users_customers_or_document_rows(client):
    first = printed_passwords(seed(tickets=10))
    counts = (User.objects.count(), Customer.objects.count(), Contact.objects.count())

    output = seed(tickets=10)

    assert (User.objects.count(), Customer.objects.count(), Contact.objects.count()) == counts
    assert Ticket.objects.filter(customer__name__in=["TSA公司", "TSB工厂"]).count() == 2
    assert generated_tickets().count() == 20  # generated tickets are added on every run
    assert printed_passwords(output) == {}
    assert "--reset-passwords" in output
    assert client.login(username="manager", password=first["manager"])


def test_reset_passwords_sets_new_ones(client):
    first = printed_passwords(seed(tickets=0))

    second = printed_passwords(seed(tickets=0, reset_passwords=True))

    assert set(second) == {"engineer", "manager", "admin"}
    assert second["admin"] != first["admin"]
    assert not client.login(username="admin", password=first["admin"])
    assert client.login(username="admin", password=second["admin"])


def test_ticket_logged_later_on_a_seeded_day_takes_the_next_number():
    seed(tickets=50)
    busiest = max(generated_tickets(), key=lambda ticket: ticket.number)
    day = timezone.localdate(busiest.recorded_at)
    last_seq = max(
        int(TICKET_NUMBER_RE.match(number)["seq"])
        for number in Ticket.objects.filter(number__startswith=f"TS-{day:%Y%m%d}-").values_list(
            "number", flat=True
        )
    )

    ticket = core.ticket_create(
        recorded_by=busiest.recorded_by,
        customer=busiest.customer,
        contact=busiest.contact,
        source=Source.PHONE,
        occurred_at=busiest.recorded_at,
        recorded_at=busiest.recorded_at + timedelta(minutes=1),
        description="又一次无法登录",
        problem_type=ProblemType.FUNCTIONAL,
        priority=Priority.P3,
        owner=busiest.owner,
    )

    assert ticket.number == f"TS-{day:%Y%m%d}-{last_seq + 1:04d}"


def test_negative_ticket_count_is_refused():
    with pytest.raises(CommandError):
        seed(tickets=-1)


def test_if_empty_adds_generated_tickets_only_to_an_empty_database():
    call_command("seed_demo", tickets=5, if_empty=True, stdout=StringIO())
    count = Ticket.objects.count()
    assert count == 2 + 5  # the document's rows and the generated ones
    call_command("seed_demo", tickets=5, if_empty=True, stdout=StringIO())
    assert Ticket.objects.count() == count


def test_chapters_get_demo_work_once_and_stages_stay_consistent():
    from requirements_analysis.models import RequirementItem
    from solutions.models import DesignStatus, SolutionDesign

    seed(tickets=300, seed=3)
    items, designs = RequirementItem.objects.count(), SolutionDesign.objects.count()
    assert items > 0 and designs > 0
    approved = SolutionDesign.objects.filter(status=DesignStatus.APPROVED).select_related("ticket")
    assert approved.exists()
    # An approved design belongs to a ticket in implementation or later, never back in design.
    assert {design.ticket.stage for design in approved} <= {Stage.IMPLEMENTATION, Stage.EVALUATION}

    call_command("seed_demo", "--tickets", "0", stdout=StringIO())  # nothing new: chapters not re-run
    from demo.management.commands.seed_demo import Command

    Command().seed_chapters({user.username: user for user in User.objects.all()})  # run again on purpose
    assert (RequirementItem.objects.count(), SolutionDesign.objects.count()) == (items, designs)


# ---------------------------------------------------------------- scenarios, SLA and logins (issue 12.8, 17)


def test_every_generated_ticket_and_its_chapter_work_follow_one_scenario():
    from evaluation.models import Verification
    from knowledge.models import ArticleLink
    from requirements_analysis.models import RequirementItem
    from solutions.models import SolutionOption
    from tracking.models import Task
    from tracking.services import approach_steps

    seed(tickets=400, seed=5)

    tickets = list(generated_tickets().select_related("owner"))
    for ticket in tickets:
        scenario = scenario_of(ticket)
        assert scenario is not None, ticket.preliminary_judgement
        assert ticket.problem_type == scenario.problem_type
        assert ticket.description.startswith(scenario.symptoms), ticket.description
        assert ticket.error_message in scenario.errors
        assert ticket.owner.username in scenario.owners
    worked = {
        "requirements": RequirementItem.objects.values_list("ticket_id", "summary"),
        "options": SolutionOption.objects.values_list("ticket_id", "approach"),
        "tasks": Task.objects.filter(kind="task").values_list("ticket_id", "name"),
        "verification": Verification.objects.values_list("ticket_id", "note"),
        "articles": ArticleLink.objects.values_list("ticket_id", "article__title"),
    }
    by_id = {ticket.pk: ticket for ticket in Ticket.objects.all()}
    for kind, rows in worked.items():
        assert rows, kind
        for ticket_id, text in rows:
            scenario = scenario_of(by_id[ticket_id])
            allowed = {
                "requirements": {
                    scenario.explicit.summary,
                    scenario.implicit.summary,
                    scenario.constraint.summary,
                },
                "options": {option.approach for option in scenario.options},
                "tasks": set(approach_steps(scenario.options[0].approach)),
                "verification": {scenario.verification},
                "articles": {scenario.article.title},
            }[kind]
            # A printing ticket never gets a captcha solution, plan, check or article.
            assert text in allowed, (kind, by_id[ticket_id].description, text)


def test_right_after_seeding_open_tickets_are_mostly_within_their_sla():
    from toolkit import tasks
    from toolkit.models import Notification

    seed(tickets=1000, seed=11)
    tasks.scan_and_fan_out()  # what the worker does a minute after dev.py starts: reminders and bells

    now = timezone.now()
    open_tickets = Ticket.objects.open()
    states = Counter(open_tickets.values_list("sla_state", flat=True))
    total = sum(states.values())
    assert 60 <= total <= 250  # about 12% of the tickets are still open
    assert states[SlaState.OK] >= 0.6 * total
    assert 0 < states[SlaState.BREACHED] <= 0.1 * total  # a couple, not 66 of 76
    assert states[SlaState.AT_RISK] > 0
    # Open ones are recent; what is older is closed or cancelled.
    assert not open_tickets.filter(recorded_at__lt=now - timedelta(days=30)).exists()
    assert Ticket.objects.filter(stage=Stage.CLOSED).count() > 0.8 * Ticket.objects.count()
    # The manager's bell: escalations of the few breaches only (two targets each at most).
    assert Notification.objects.filter(user__username="manager").count() <= 2 * states[SlaState.BREACHED]


def test_the_document_rows_are_closed_history_within_their_sla():
    from toolkit import sla

    seed(tickets=0)
    sla.sla_scan()

    for ticket in Ticket.objects.filter(number__in=DOCUMENT_NUMBERS):
        assert ticket.stage == Stage.CLOSED
        assert ticket.sla_state == SlaState.OK and ticket.sla_due_at is None
        targets = list(ticket.slas.all())
        assert len(targets) == 2
        assert all(target.met_at is not None and target.met_at <= target.due_at for target in targets)
        assert not targets[0].reminders.exists() and not targets[1].reminders.exists()
        [closing] = ticket.stage_changes.all()
        assert closing.to_stage == Stage.CLOSED and closing.reason
        assert timezone.localtime(closing.changed_at, SHANGHAI).date() == datetime(2023, 10, 1).date()


def test_logins_file_keeps_the_passwords_across_runs(client, tmp_path):
    logins = tmp_path / "demo" / "logins.json"

    first = printed_passwords(seed(tickets=0, logins_file=logins))
    assert set(first) == {"engineer", "manager", "admin"}
    assert stat.S_IMODE(logins.stat().st_mode) == 0o600
    stored = {row["username"]: row["password"] for row in json.loads(logins.read_text())["logins"]}
    assert stored == first

    again = printed_passwords(seed(tickets=0, logins_file=logins))
    assert again == first  # printed again, not changed
    assert client.login(username="engineer", password=first["engineer"])
    client.logout()

    reset = printed_passwords(seed(tickets=0, logins_file=logins, reset_passwords=True))
    assert reset["admin"] != first["admin"]
    assert json.loads(logins.read_text())["logins"][2]["password"] == reset["admin"]
    assert client.login(username="admin", password=reset["admin"])

    # A password its user changed is left alone (and not printed); a lost file means new ones.
    manager = User.objects.get(username="manager")
    manager.set_password("chosen-by-the-manager")
    manager.save()
    output = seed(tickets=0, logins_file=logins)
    assert "manager" not in printed_passwords(output)
    assert User.objects.get(username="manager").check_password("chosen-by-the-manager")
    logins.unlink()
    renewed = printed_passwords(seed(tickets=0, logins_file=logins))
    assert set(renewed) == {"engineer", "manager", "admin"} and renewed["engineer"] != reset["engineer"]
