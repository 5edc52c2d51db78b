"""My work (issue 14 §2): an engineer's home — my open tickets by SLA time left, my tasks due, my follow-up
visits, mentions of me, designs and articles waiting for me, my saved views; each section bounded, the
page in a constant number of queries; "/" shows it to engineers, managers keep the dashboard."""

import ast
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

import mywork
from diagnosis.services import saved_filter_save
from evaluation.models import FollowUp
from knowledge.models import Article, ArticleStatus, ArticleVersion
from solutions.models import DesignStatus, SolutionDesign
from tests.factories import TicketFactory, UserFactory
from toolkit import events
from toolkit.choices import EventKind, SlaState, Stage
from tracking.models import Task, TaskStatus

MY_WORK = reverse("mywork:home")
HOME = reverse("home")
CHAPTERS = {"diagnosis", "requirements_analysis", "solutions", "tracking", "evaluation", "knowledge"}


def _numbers(response) -> list[str]:
    return [row["ticket"] for row in response.context["work"].tickets.rows]


def _section(response, key):
    return next((s for s in response.context["work"].sections if s.key == key), None)


@pytest.fixture
def other(db):
    return UserFactory(username="other", first_name="王工", role="engineer")


def test_my_open_tickets_least_sla_time_left_first_then_no_sla(engineer_client, engineer, other):
    now = timezone.now()
    TicketFactory(
        number="TS-1-LATER", owner=engineer, sla_state=SlaState.OK, sla_due_at=now + timedelta(hours=5)
    )
    TicketFactory(number="TS-2-NOSLA", owner=engineer, sla_state="", sla_due_at=None)
    TicketFactory(
        number="TS-3-BREACH", owner=engineer, sla_state=SlaState.BREACHED, sla_due_at=now - timedelta(hours=1)
    )
    TicketFactory(
        number="TS-4-SOON", owner=engineer, sla_state=SlaState.AT_RISK, sla_due_at=now + timedelta(minutes=20)
    )
    TicketFactory(number="TS-5-CLOSED", owner=engineer, stage=Stage.CLOSED)
    TicketFactory(number="TS-6-THEIRS", owner=other, sla_due_at=now - timedelta(hours=9))
    response = engineer_client.get(MY_WORK)
    assert response.status_code == 200
    assert _numbers(response) == ["TS-3-BREACH", "TS-4-SOON", "TS-1-LATER", "TS-2-NOSLA"]
    html = response.content.decode()
    assert "overdue by 1 h" in html or "超时" in html


def test_each_section_is_bounded_with_a_link_to_the_rest(engineer_client, engineer):
    now = timezone.now()
    for index in range(13):
        TicketFactory(owner=engineer, sla_state=SlaState.OK, sla_due_at=now + timedelta(hours=index + 1))
    response = engineer_client.get(MY_WORK)
    tickets = response.context["work"].tickets
    assert (len(tickets.rows), tickets.total, tickets.more) == (10, 13, 3)
    link = f"{reverse('diagnosis:list')}?owner=me&amp;stage=open&amp;sort=sla_due"
    assert link in response.content.decode()
    # The link's table shows the same tickets (owner=me is the signed-in user there too).
    table = engineer_client.get(
        reverse("diagnosis:list"), {"owner": "me", "stage": "open", "sort": "sla_due"}
    )
    assert [t.number for t in table.context["page"].object_list][:10] == _numbers(response)


def test_my_tasks_due_open_ones_by_planned_end(engineer_client, engineer, other):
    ticket = TicketFactory(owner=engineer, stage=Stage.IMPLEMENTATION)
    today = timezone.localdate()

    def task(name, owner, end, status=TaskStatus.IN_PROGRESS):
        return Task.objects.create(
            ticket=ticket,
            name=name,
            owner=owner,
            planned_start=end - timedelta(days=3),
            planned_end=end,
            status=status,
        )

    task("部署补丁", engineer, today + timedelta(days=2))
    task("回滚演练", engineer, today - timedelta(days=1))
    task("已完成的", engineer, today, status=TaskStatus.DONE)
    task("别人的", other, today)
    section = _section(engineer_client.get(MY_WORK), "mywork_tasks_due")
    assert [row["title"] for row in section.rows] == ["回滚演练", "部署补丁"]
    assert [row["overdue"] for row in section.rows] == [True, False]
    assert section.rows[0]["url"] == reverse("tracking:plan", args=[ticket.number])


def test_my_follow_up_visits_not_yet_done(engineer_client, engineer, other):
    ticket = TicketFactory(owner=engineer, stage=Stage.EVALUATION)
    now = timezone.now()
    FollowUp.objects.create(ticket=ticket, assignee=engineer, due_at=now + timedelta(days=7))
    FollowUp.objects.create(ticket=ticket, assignee=engineer, due_at=now - timedelta(days=1), done_at=now)
    FollowUp.objects.create(ticket=ticket, assignee=other, due_at=now)
    section = _section(engineer_client.get(MY_WORK), "mywork_followups")
    assert [row["ticket"] for row in section.rows] == [ticket.number]
    assert section.rows[0]["url"] == reverse("evaluation:page", args=[ticket.number])


def test_mentions_of_me_with_unread_count(engineer_client, engineer, other):
    ticket = TicketFactory(owner=other)
    events.notify(
        kind=EventKind.MENTIONED,
        recipients=[engineer],
        actor=other,
        ticket=ticket,
        params={"excerpt": "请看一下日志"},
    )
    events.notify(kind=EventKind.ASSIGNED, recipients=[engineer], actor=other, ticket=ticket)  # not a mention
    engineer_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = engineer_client.get(MY_WORK)
    work = response.context["work"]
    assert (work.mentions.total, work.unread_mentions) == (1, 1)
    [row] = work.mentions.rows
    assert ticket.number in row["title"] and row["note"] == "请看一下日志"
    assert "mentioned you" in row["title"]


def test_designs_waiting_for_my_approval_for_those_who_approve(client, manager, engineer, other):
    waiting = TicketFactory(owner=other, stage=Stage.DESIGN)
    SolutionDesign.objects.create(
        ticket=waiting, status=DesignStatus.SUBMITTED, submitted_by=other, submitted_at=timezone.now()
    )
    mine = TicketFactory(owner=manager, stage=Stage.DESIGN)  # submitted by the manager: another must decide
    SolutionDesign.objects.create(
        ticket=mine, status=DesignStatus.SUBMITTED, submitted_by=manager, submitted_at=timezone.now()
    )
    client.force_login(manager)
    section = _section(client.get(MY_WORK), "mywork_approvals")
    assert [row["ticket"] for row in section.rows] == [waiting.number]
    client.force_login(engineer)
    assert _section(client.get(MY_WORK), "mywork_approvals") is None  # engineers do not approve


def test_articles_waiting_for_my_review_for_reviewers(client, manager, engineer, other):
    def article(title, author):
        return Article.objects.create(
            title=title,
            type="functional",
            symptoms="x",
            solution_steps="y",
            author=author,
            status=ArticleStatus.IN_REVIEW,
        )

    theirs = article("验证码接口超时的处理", other)
    edited = article("我改过的文章", other)
    ArticleVersion.objects.create(article=edited, number=1, title=edited.title, content={}, saved_by=manager)
    article("草稿", other).__class__.objects.filter(title="草稿").update(status=ArticleStatus.DRAFT)
    client.force_login(manager)
    section = _section(client.get(MY_WORK), "mywork_reviews")
    assert [row["title"] for row in section.rows] == [theirs.title]
    client.force_login(engineer)
    assert _section(client.get(MY_WORK), "mywork_reviews") is None


def test_my_saved_views_are_shown_and_only_mine(engineer_client, engineer, other):
    saved_filter_save(user=engineer, name="我的P0", query_string="priority=P0&owner=me")
    saved_filter_save(user=other, name="别人的视图", query_string="priority=P1")
    response = engineer_client.get(MY_WORK)
    html = response.content.decode()
    assert "我的P0" in html and "别人的视图" not in html
    assert f"{reverse('diagnosis:list')}?owner=me&amp;priority=P0" in html


def test_home_is_my_work_for_engineers_and_the_dashboard_for_managers(client, engineer, manager):
    client.force_login(engineer)
    response = client.get(HOME)
    assert response.status_code == 200
    assert "mywork/home.html" in [t.name for t in response.templates]
    # Engineers still reach the dashboard, from the menu.
    html = response.content.decode()
    assert html.index(f'href="{MY_WORK}"') < html.index(f'href="{reverse("dashboard")}"')
    dashboard = client.get(reverse("dashboard"))
    assert dashboard.status_code == 200 and "board" in dashboard.context

    client.force_login(manager)
    response = client.get(HOME)
    assert "dashboard/dashboard.html" in [t.name for t in response.templates]
    html = response.content.decode()
    assert f'href="{MY_WORK}"' in html  # managers get a My work link
    my_work = client.get(MY_WORK)
    assert my_work.status_code == 200 and 'id="dashboard-link"' in my_work.content.decode()


def test_my_work_needs_a_role(client, no_role_user):
    client.force_login(no_role_user)
    assert client.get(MY_WORK).status_code == 403
    client.logout()
    assert client.get(MY_WORK).status_code == 302


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_page_speaks_both_languages(engineer_client, engineer, language):
    TicketFactory(owner=engineer)
    engineer_client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    html = engineer_client.get(MY_WORK).content.decode()
    assert ("我的工作" if language == "zh-hans" else "My work") in html
    assert ("我的未结问题" if language == "zh-hans" else "My open tickets") in html


def _fill(count, user, other):
    now = timezone.now()
    ticket = None
    for index in range(count):
        ticket = TicketFactory(
            owner=user, sla_state=SlaState.OK, sla_due_at=now + timedelta(minutes=index + 5)
        )
        Task.objects.create(
            ticket=ticket,
            name=f"任务{index}",
            owner=user,
            planned_start=date(2026, 1, 1),
            planned_end=date(2026, 1, 2),
        )
        FollowUp.objects.create(ticket=ticket, assignee=user, due_at=now + timedelta(days=index))
        events.notify(kind=EventKind.MENTIONED, recipients=[user], actor=other, ticket=ticket, params={})
        theirs = TicketFactory(owner=other, stage=Stage.DESIGN)
        SolutionDesign.objects.create(
            ticket=theirs, status=DesignStatus.SUBMITTED, submitted_by=other, submitted_at=now
        )
        Article.objects.create(
            title=f"文章{index}",
            type="functional",
            symptoms="x",
            solution_steps="y",
            author=other,
            status=ArticleStatus.IN_REVIEW,
        )
        saved_filter_save(user=user, name=f"视图{index}", query_string=f"priority=P{index % 4}")
    return ticket


def _queries(client, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(MY_WORK)
    assert response.status_code == 200
    return len(captured)


def test_query_count_is_the_same_for_5_and_50_of_everything(
    client, manager, other, django_assert_max_num_queries
):
    """A manager sees every section (tickets, tasks, follow-ups, mentions, approvals, reviews, views)."""
    client.force_login(manager)
    _fill(5, manager, other)
    few = _queries(client, django_assert_max_num_queries)
    _fill(45, manager, other)
    many = _queries(client, django_assert_max_num_queries)
    work = client.get(MY_WORK).context["work"]
    assert work.tickets.total == 50 and len(work.tickets.rows) == 10
    assert {s.key: s.total for s in work.sections} == {
        "mywork_tasks_due": 50,
        "mywork_followups": 50,
        "mywork_approvals": 50,
        "mywork_reviews": 50,
    }
    assert few == many
    assert many <= 25


def test_mywork_imports_no_chapter():
    """It reads the chapters' sections through toolkit.chapters only."""
    root = Path(mywork.__file__).resolve().parent
    breaches = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            breaches += [f"{path.name}: {name}" for name in names if name.split(".")[0] in CHAPTERS]
    assert breaches == []
