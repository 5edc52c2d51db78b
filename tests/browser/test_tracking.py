"""Chapter 4 in a real browser: generate the plan from the approved solution, log progress inline (htmx),
see the timeline, add a task with a mistake and correct it."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from tests.factories import TicketFactory
from tests.tracking.conftest import approve
from tracking.models import Task, TaskStatus

pytestmark = pytest.mark.browser


@pytest.fixture
def approved(engineer, manager):
    ticket = TicketFactory(owner=engineer, stage="design")
    approve(ticket, engineer=engineer, manager=manager, approach="备份数据\n升级验证码服务\n回归测试", days=6)
    return ticket


def test_generate_log_progress_and_add_a_task(page, log_in, screenshot, engineer, approved):
    log_in(engineer)
    page.goto(reverse("tracking:plan", args=[approved.number]))
    expect(page.locator("h1")).to_contain_text("实施跟踪")

    page.click("#generate-form button")  # htmx: the plan block is replaced in place
    expect(page.locator("#plan-notice")).to_contain_text("已生成实施计划")
    expect(page.locator("tr.task-row")).to_have_count(4)
    expect(page.locator("#timeline svg.timeline-chart .bar-planned")).to_have_count(3)
    expect(page.locator("#timeline svg.timeline-chart .diamond-planned")).to_have_count(1)
    expect(page.locator("#timeline svg.timeline-chart .today-line")).to_have_count(1)

    first = Task.objects.get(ticket=approved, position=1)
    page.click(f"#log-{first.pk} summary")
    form = page.locator(f"#progress-form-{first.pk}")
    form.locator("input[name=progress]").fill("100")
    form.locator("input[name=hours]").fill("4")
    form.locator("textarea[name=note]").fill("数据已备份并校验")
    form.locator("button[type=submit]").click()
    expect(page.locator("#plan-notice")).to_contain_text("已记录")
    expect(page.locator(f"#task-{first.pk} .task-status")).to_have_text("已完成")
    first.refresh_from_db()
    assert (first.status, first.actual_end) == (TaskStatus.DONE, timezone.localdate())

    # A task ending before it starts: the error shows in place and nothing is saved.
    page.click("#task-add summary")
    page.fill("#id_name", "编写上线文档")
    today = timezone.localdate()
    page.fill("#id_planned_start", today.replace(day=min(today.day, 28)).isoformat())
    page.fill("#id_planned_end", "2020-01-01")
    page.click("#task-add-form [type=submit]")
    expect(page.locator("#task-add-form")).to_contain_text("计划完成日期不能早于计划开始日期")
    assert Task.objects.filter(ticket=approved).count() == 4
    page.fill("#id_planned_end", today.replace(day=min(today.day, 28)).isoformat())
    page.fill("#id_planned_start", today.replace(day=min(today.day, 28)).isoformat())
    page.click("#task-add-form [type=submit]")
    expect(page.locator("tr.task-row")).to_have_count(5)
    screenshot("tracking-plan")

    # Editing inline: making the first task follow the milestone would close a circle.
    milestone = Task.objects.get(ticket=approved, position=4)
    page.click(f"#task-{first.pk} a:has-text('编辑')")
    edit = page.locator(f"#task-edit-form-{first.pk}")
    edit.locator("select[name=predecessor]").select_option(str(milestone.pk))
    edit.locator("input[name=overlap_allowed]").check()
    edit.locator("[type=submit]").click()
    expect(page.locator(f"#task-edit-form-{first.pk}")).to_contain_text("计划会形成循环")
    screenshot("tracking-edit-error")
    first.refresh_from_db()
    assert first.predecessor_id is None


def test_plan_in_progress_reads_in_english(page, log_in, screenshot, engineer, manager):
    """A plan under way (demo data: one task done late, one blocked), shown in English, and in print."""
    from tracking import demo

    # Logged four days ago: the demo plan starts the day its ticket was logged, so its first task is done.
    ticket = TicketFactory(
        owner=engineer, stage="implementation", recorded_at=timezone.now() - timedelta(days=4)
    )
    demo.seed(tickets=[ticket], users={"engineer": engineer, "manager": manager}, now=timezone.now())
    log_in(engineer)
    page.goto(reverse("tracking:plan", args=[ticket.number]))
    page.select_option("nav select[name=language]", "en")
    page.wait_for_load_state()
    expect(page.locator("h1")).to_contain_text("Implementation tracking")
    expect(page.locator("#timeline-legend")).to_contain_text("Planned")
    expect(page.locator("tr.task-row").first.locator(".task-status")).to_have_text("Done")
    expect(page.locator("#timeline svg.timeline-chart .bar-actual")).to_have_count(2)
    screenshot("tracking-plan-en")
    page.emulate_media(media="print")
    expect(page.locator("#timeline")).to_be_visible()
    expect(page.locator("nav.navbar")).to_be_hidden()
    expect(page.locator("#task-add")).to_be_hidden()
    screenshot("tracking-plan-print")
