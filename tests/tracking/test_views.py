"""The plan page: permissions, generation, inline add/edit/delete (htmx and plain POST), the progress log,
moving on to Evaluation, the timeline, and constant query counts."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from toolkit.choices import Stage
from tracking.models import ProgressEntry, Task, TaskKind, TaskStatus
from tracking.selectors import tracking_panel

from .factories import ProgressEntryFactory, TaskFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def url(name, ticket, *args):
    return reverse(f"tracking:{name}", args=[ticket.number, *args])


def task_data(ticket, **overrides):
    today = timezone.localdate()
    data = {
        "kind": TaskKind.TASK,
        "name": "数据迁移",
        "owner": ticket.owner_id,
        "planned_start": today.isoformat(),
        "planned_end": (today + timedelta(days=3)).isoformat(),
        "actual_start": "",
        "actual_end": "",
        "progress": "0",
        "status": TaskStatus.NOT_STARTED,
        "predecessor": "",
        "deliverable": "迁移报告",
        "hours_spent": "0",
    }
    data.update(overrides)
    return data


# Permissions ---------------------------------------------------------------------------------------


def test_no_role_user_is_refused_everywhere(client, no_role_user, ticket):
    task = TaskFactory(ticket=ticket)
    client.force_login(no_role_user)
    assert client.get(url("plan", ticket)).status_code == 403
    assert client.get(url("export", ticket)).status_code == 403
    assert client.get(reverse("tracking:weekly_export")).status_code == 403
    for name, args in [("generate", []), ("task_add", []), ("task_delete", [task.pk]), ("complete", [])]:
        assert client.post(url(name, ticket, *args), task_data(ticket)).status_code == 403
    assert (
        client.post(url("progress_add", ticket, task.pk), {"date": "2026-06-01", "progress": 10}).status_code
        == 403
    )
    assert client.get(url("task_edit", ticket, task.pk)).status_code == 403
    assert Task.objects.filter(pk=task.pk).exists()


def test_anonymous_is_sent_to_login(client, ticket):
    response = client.get(url("plan", ticket))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("role_client", ["engineer_client", "manager_client", "admin_client_role"])
def test_every_role_works_the_plan(request, role_client, ticket):
    client = request.getfixturevalue(role_client)
    assert client.get(url("plan", ticket)).status_code == 200
    assert client.post(url("task_add", ticket), task_data(ticket)).status_code == 302


# Generation ----------------------------------------------------------------------------------------


def test_generate_button_only_with_an_approved_solution_and_no_tasks(
    engineer_client, approved_ticket, ticket
):
    assert 'id="generate-form"' in engineer_client.get(url("plan", approved_ticket)).content.decode()
    assert 'id="generate-form"' not in engineer_client.get(url("plan", ticket)).content.decode()
    response = engineer_client.post(url("generate", approved_ticket))
    assert response.status_code == 302
    assert Task.objects.filter(ticket=approved_ticket).count() == 4
    page = engineer_client.get(url("plan", approved_ticket)).content.decode()
    assert 'id="generate-form"' not in page
    assert "客户验收" in page


def test_generate_under_htmx_answers_with_the_plan_block(engineer_client, approved_ticket):
    response = engineer_client.post(url("generate", approved_ticket), **HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="plan">') or 'id="plan"' in body[:200]
    assert "<svg" in body and "<html" not in body


def test_generate_twice_is_refused_with_a_message(engineer_client, approved_ticket):
    engineer_client.post(url("generate", approved_ticket))
    response = engineer_client.post(url("generate", approved_ticket), follow=True)
    assert "已有实施计划" in response.content.decode()
    assert Task.objects.count() == 4


# Add, edit, delete --------------------------------------------------------------------------------


def test_add_task_plain_post(engineer_client, ticket):
    response = engineer_client.post(url("task_add", ticket), task_data(ticket))
    assert response.status_code == 302
    task = Task.objects.get()
    assert (task.name, task.deliverable, task.owner_id) == ("数据迁移", "迁移报告", ticket.owner_id)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"planned_end": "2020-01-01"}, "计划完成日期不能早于计划开始日期。"),
        ({"progress": "150"}, ""),
        ({"planned_start": "2026/06/01"}, "请按 YYYY-MM-DD 填写日期。"),
        ({"name": "  "}, ""),
        ({"actual_end": "2026-06-01"}, "有实际完成日期的任务请填写实际开始日期。"),
    ],
)
def test_form_errors_save_nothing(engineer_client, ticket, overrides, message):
    response = engineer_client.post(url("task_add", ticket), task_data(ticket, **overrides))
    assert response.status_code == 400
    assert Task.objects.count() == 0
    body = response.content.decode()
    assert "is-invalid" in body or "alert-danger" in body
    assert message in body
    htmx = engineer_client.post(url("task_add", ticket), task_data(ticket, **overrides), **HTMX)
    assert htmx.status_code == 200 and "<html" not in htmx.content.decode()
    assert Task.objects.count() == 0


def test_edit_form_and_cycle_refused(engineer_client, ticket):
    a = TaskFactory(ticket=ticket, owner=ticket.owner, planned_end=timezone.localdate())
    b = TaskFactory(
        ticket=ticket,
        owner=ticket.owner,
        predecessor=a,
        planned_start=timezone.localdate(),
        planned_end=timezone.localdate(),
    )
    form = engineer_client.get(url("task_edit", ticket, a.pk), **HTMX)
    assert f'id="task-edit-form-{a.pk}"' in form.content.decode()
    data = task_data(
        ticket,
        name=a.name,
        planned_start=a.planned_start.isoformat(),
        planned_end=a.planned_end.isoformat(),
        predecessor=b.pk,
        overlap_allowed="on",
    )
    response = engineer_client.post(url("task_edit", ticket, a.pk), data)
    assert response.status_code == 400
    assert "计划会形成循环" in response.content.decode()
    a.refresh_from_db()
    assert a.predecessor_id is None
    data["predecessor"] = ""
    data["name"] = "改名后的任务"
    assert engineer_client.post(url("task_edit", ticket, a.pk), data).status_code == 302
    a.refresh_from_db()
    assert a.name == "改名后的任务"


def test_delete_task(engineer_client, ticket):
    task = TaskFactory(ticket=ticket)
    response = engineer_client.post(url("task_delete", ticket, task.pk), **HTMX)
    assert response.status_code == 200
    assert not Task.objects.exists()


def test_task_of_another_ticket_is_not_found(engineer_client, ticket):
    other = TaskFactory()
    assert engineer_client.post(url("task_delete", ticket, other.pk)).status_code == 404


# Progress log -------------------------------------------------------------------------------------


def test_log_progress(engineer_client, ticket):
    task = TaskFactory(ticket=ticket, planned_start=timezone.localdate(), planned_end=timezone.localdate())
    data = {
        "date": timezone.localdate().isoformat(),
        "progress": "100",
        "hours": "2",
        "note": "已上线",
        "blockers": "",
        "next_step": "",
    }
    response = engineer_client.post(url("progress_add", ticket, task.pk), data, **HTMX)
    assert response.status_code == 200
    assert "已上线" in response.content.decode()
    task.refresh_from_db()
    assert (task.status, task.progress) == (TaskStatus.DONE, 100)


@pytest.mark.parametrize(
    "data",
    [
        {"date": "", "progress": "10"},
        {"date": "2026-06-01", "progress": "150"},
        {"date": "x", "progress": "1"},
    ],
)
def test_progress_form_errors_save_nothing(engineer_client, ticket, data):
    task = TaskFactory(ticket=ticket)
    response = engineer_client.post(url("progress_add", ticket, task.pk), data)
    assert response.status_code == 400
    assert f'id="progress-form-{task.pk}"' in response.content.decode()
    assert ProgressEntry.objects.count() == 0


def test_future_entry_error_is_shown(engineer_client, ticket):
    task = TaskFactory(ticket=ticket)
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = engineer_client.post(
        url("progress_add", ticket, task.pk), {"date": tomorrow, "progress": "10"}, **HTMX
    )
    assert response.status_code == 200
    assert "不能为未来的日期记录进度。" in response.content.decode()
    assert ProgressEntry.objects.count() == 0


# Completion ---------------------------------------------------------------------------------------


def test_complete_button_only_when_every_task_is_done(engineer_client, ticket):
    done = TaskFactory(ticket=ticket, status=TaskStatus.DONE, progress=100)
    open_task = TaskFactory(ticket=ticket)
    assert 'id="complete-form"' not in engineer_client.get(url("plan", ticket)).content.decode()
    assert engineer_client.post(url("complete", ticket)).status_code == 302
    ticket.refresh_from_db()
    assert ticket.stage == Stage.IMPLEMENTATION
    Task.objects.filter(pk=open_task.pk).update(status=TaskStatus.DONE, progress=100)
    assert done.pk and 'id="complete-form"' in engineer_client.get(url("plan", ticket)).content.decode()
    engineer_client.post(url("complete", ticket))
    ticket.refresh_from_db()
    assert ticket.stage == Stage.EVALUATION


# Rendering ----------------------------------------------------------------------------------------


def test_page_in_chinese_and_english(engineer_client, ticket):
    today = timezone.localdate()
    TaskFactory(
        ticket=ticket,
        name="部署",
        planned_start=today - timedelta(days=4),
        planned_end=today - timedelta(days=1),
    )
    TaskFactory(
        ticket=ticket, kind=TaskKind.MILESTONE, name="客户验收", planned_start=today, planned_end=today
    )
    body = engineer_client.get(url("plan", ticket)).content.decode()
    assert "实施跟踪" in body and "未开始" in body and "落后 1 天" in body and "里程碑" in body
    engineer_client.cookies["django_language"] = "en"
    body = engineer_client.get(url("plan", ticket)).content.decode()
    assert "Implementation tracking" in body and "Not started" in body and "1 day behind" in body


def test_timeline_is_inline_svg(engineer_client, ticket):
    today = timezone.localdate()
    task = TaskFactory(
        ticket=ticket,
        planned_start=today - timedelta(days=2),
        planned_end=today + timedelta(days=2),
        actual_start=today - timedelta(days=2),
        progress=40,
        status=TaskStatus.IN_PROGRESS,
    )
    TaskFactory(
        ticket=ticket,
        kind=TaskKind.MILESTONE,
        planned_start=today + timedelta(days=3),
        planned_end=today + timedelta(days=3),
    )
    body = engineer_client.get(url("plan", ticket)).content.decode()
    assert body.count('class="bar-planned"') == 1
    assert body.count('class="bar-progress"') == 1
    assert body.count('class="bar-actual"') == 1
    assert body.count('class="diamond-planned"') == 1
    assert 'class="today-line"' in body
    assert f'data-pk="{task.pk}"' in body
    # It prints: the print rules live in the site's stylesheet (the CSP allows no inline <style>).
    assert "/static/css/app.css" in body
    stylesheet = (Path(settings.BASE_DIR) / "static/css/app.css").read_text(encoding="utf-8")
    assert "@media print" in stylesheet and "#timeline svg.timeline-chart" in stylesheet
    assert "<script" not in body.split('id="timeline"')[1].split("</section>")[0]


def make_plan(ticket, count):
    previous = None
    for index in range(count):
        previous = TaskFactory(ticket=ticket, owner=ticket.owner, predecessor=previous, position=index)
        ProgressEntryFactory(task=previous, by=ticket.owner)
        ProgressEntryFactory(task=previous, by=ticket.owner, progress=40)


def test_page_queries_do_not_grow_with_tasks(
    engineer_client, ticket, django_assert_max_num_queries, django_assert_num_queries
):
    make_plan(ticket, 1)
    engineer_client.get(url("plan", ticket))  # warm up the session and permission caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        assert engineer_client.get(url("plan", ticket)).status_code == 200
    make_plan(ticket, 9)
    with django_assert_num_queries(len(one)):
        response = engineer_client.get(url("plan", ticket))
    assert response.content.decode().count('class="task-row"') == 10


def test_panel_is_one_query(ticket, django_assert_num_queries):
    make_plan(ticket, 3)
    with django_assert_num_queries(1):
        panel = tracking_panel(ticket)
    assert len(panel.rows) == 3
    html = render_to_string("tracking/_ticket_panel.html", {"ticket": ticket, "tracking_panel": panel})
    assert 'id="tracking-panel"' in html and "0 / 3" not in html and "3 项中已完成 0 项" in html


def test_panel_without_a_plan(ticket):
    html = render_to_string(
        "tracking/_ticket_panel.html", {"ticket": ticket, "tracking_panel": tracking_panel(ticket)}
    )
    assert "尚无实施计划。" in html


# Overview -----------------------------------------------------------------------------------------


def test_overview_lists_tickets_in_implementation(engineer_client, ticket, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import TicketFactory

    today = timezone.localdate()
    TaskFactory(ticket=ticket, planned_end=today - timedelta(days=1), planned_start=today - timedelta(days=3))
    TaskFactory(ticket=ticket, status=TaskStatus.DONE, progress=100, planned_end=today, planned_start=today)
    TicketFactory(stage="design")
    url_ = reverse("tracking:overview")
    engineer_client.get(url_)
    with CaptureQueriesContext(connection) as one:
        body = engineer_client.get(url_).content.decode()
    assert body.count('class="implementation-row"') == 1
    assert ticket.number in body and "2 项中已完成 1 项" in body and "50%" in body
    for _ in range(9):
        TaskFactory(ticket=TicketFactory(stage="implementation"))
    with django_assert_num_queries(len(one)):
        body = engineer_client.get(url_).content.decode()
    assert body.count('class="implementation-row"') == 10


def test_overview_needs_a_role(client, no_role_user):
    client.force_login(no_role_user)
    assert client.get(reverse("tracking:overview")).status_code == 403
