"""Issue 17 item 5: the score and coverage matrices and the rollback plan save one field at a time, as it
changes; cells not posted keep their value, and the answer tells the page's script whether it saved."""

import re

import pytest
from django.urls import reverse

from requirements_analysis.models import MoSCoW
from solutions.models import Coverage, Score, SolutionDesign
from tests.requirements_analysis.factories import RequirementItemFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def url(name, ticket):
    return reverse(f"solutions:{name}", kwargs={"number": ticket.number})


def scores(ticket):
    return {
        (s.option.label, s.criterion.display_name): s.value
        for s in Score.objects.filter(option__ticket=ticket)
    }


def test_one_score_cell_saves_alone_and_keeps_the_others(engineer_client, ticket, scored_options):
    a, b = scored_options
    before = scores(ticket)
    feasibility = a.scores.get(criterion__weight=30).criterion
    response = engineer_client.post(url("scores", ticket), {f"s-{a.pk}-{feasibility.pk}": "5"}, **HTMX)
    assert response.status_code == 200
    assert response["X-Autosave"] == "saved"
    assert scores(ticket) == before | {("A", feasibility.display_name): 5}
    html = response.content.decode()
    # The new total (3.60 + (5-3)×30/100 = 4.20) is in the totals row the cell's request swaps in.
    totals = html[html.index('id="score-totals"') :]
    assert "4.20" in totals[: totals.index("</tfoot>")]
    assert "评分已保存。" not in html  # the "all saved" indicator says it, not a notice


def test_one_score_cell_can_be_cleared(engineer_client, ticket, scored_options):
    a, _b = scored_options
    cell = a.scores.first()
    response = engineer_client.post(url("scores", ticket), {f"s-{a.pk}-{cell.criterion_id}": ""}, **HTMX)
    assert response["X-Autosave"] == "saved"
    assert not Score.objects.filter(pk=cell.pk).exists()
    assert Score.objects.filter(option__ticket=ticket).count() == 9


@pytest.mark.parametrize("value", ["6", "x", "0"])
def test_a_bad_score_cell_fails_with_the_reason_and_changes_nothing(
    engineer_client, ticket, scored_options, value
):
    a, _b = scored_options
    before = scores(ticket)
    cell = a.scores.first()
    response = engineer_client.post(url("scores", ticket), {f"s-{a.pk}-{cell.criterion_id}": value}, **HTMX)
    assert response.status_code == 200 and response["X-Autosave"] == "failed"
    html = response.content.decode()
    errors = html[html.index('id="score-errors"') :]
    assert "评分须为 1 到 5 的整数。" in errors[: errors.index("<form")]
    assert scores(ticket) == before


def test_a_score_cell_of_a_submitted_design_fails(engineer_client, ticket, scored_options, design):
    a, _b = scored_options
    SolutionDesign.objects.filter(pk=design.pk).update(status="submitted")
    cell = a.scores.first()
    response = engineer_client.post(url("scores", ticket), {f"s-{a.pk}-{cell.criterion_id}": "1"}, **HTMX)
    assert response["X-Autosave"] == "failed"
    assert Score.objects.get(pk=cell.pk).value == cell.value


def test_one_coverage_cell_saves_alone(engineer_client, ticket, scored_options):
    a, b = scored_options
    must = RequirementItemFactory(ticket=ticket, summary="登录必须恢复", moscow=MoSCoW.MUST)
    other = RequirementItemFactory(ticket=ticket, summary="保留历史记录", moscow=MoSCoW.MUST)
    engineer_client.post(url("coverage", ticket), {f"c-{b.pk}-{other.pk}": "full"}, **HTMX)
    response = engineer_client.post(url("coverage", ticket), {f"c-{a.pk}-{must.pk}": "partial"}, **HTMX)
    assert response["X-Autosave"] == "saved"
    assert set(Coverage.objects.values_list("option__label", "requirement__summary", "level")) == {
        ("B", "保留历史记录", "full"),
        ("A", "登录必须恢复", "partial"),
    }
    html = response.content.decode()
    # The parts a coverage cell's request picks out of the answer are all there.
    for part in (
        'id="coverage-totals"',
        'id="coverage-alerts"',
        f'id="coverage-requirement-{must.pk}"',
        'id="approval"',
    ):
        assert part in html


def test_the_rollback_plan_answers_whether_it_saved(engineer_client, ticket, design):
    response = engineer_client.post(url("rollback", ticket), {"rollback_plan": "恢复旧版本镜像"}, **HTMX)
    assert response["X-Autosave"] == "saved"
    response = engineer_client.post(url("rollback", ticket), {"rollback_plan": "x" * 5001}, **HTMX)
    assert response["X-Autosave"] == "failed"
    assert SolutionDesign.objects.get(pk=design.pk).rollback_plan == "恢复旧版本镜像"


def test_the_editable_page_autosaves_and_keeps_one_primary_button(engineer_client, ticket, scored_options):
    html = engineer_client.get(url("design", ticket)).content.decode()
    assert html.count("data-autosave ") >= 10  # ten score cells
    assert 'hx-sync="#solution-design:queue all"' in html
    assert "js/autosave.js" in html
    # Without JavaScript the matrices still have their save buttons; with it, they are not shown.
    assert html.count("<noscript><button") == 2
    shown = re.sub(r"<noscript>.*?</noscript>", "", html, flags=re.S)
    assert re.findall(r'<button class="btn btn-sm btn-primary"[^>]*>([^<]*)', shown) == ["提交审批"]
