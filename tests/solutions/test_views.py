"""The design page: htmx and plain-POST editing, form errors, approval per role, permissions, query count."""

from decimal import Decimal

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from requirements_analysis.models import MoSCoW
from solutions import services
from solutions.models import Criterion, DesignStatus, Score, SolutionDesign, SolutionOption, option_label
from solutions.selectors import criteria_of, solution_panel
from tests.factories import UserFactory
from tests.requirements_analysis.factories import RequirementItemFactory
from toolkit.choices import Stage
from toolkit.models import StageChange

from .conftest import score_all
from .factories import RiskFactory, SolutionOptionFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def url(name, ticket, **kwargs):
    return reverse(f"solutions:{name}", kwargs={"number": ticket.number, **kwargs})


def option_data(**overrides):
    data = {
        "approach": "升级验证码服务",
        "estimated_cost": "50000",
        "duration_days": "10",
        "people": "2",
        "expected_effect": "登录恢复",
        "risk_level": "medium",
        "pros": "改动小",
        "cons": "需停机",
    }
    data.update(overrides)
    return data


def criteria_data(criteria, weights, extra=None):
    data = {
        "criteria-TOTAL_FORMS": str(len(criteria) + (1 if extra else 0)),
        "criteria-INITIAL_FORMS": str(len(criteria)),
        "criteria-MIN_NUM_FORMS": "0",
        "criteria-MAX_NUM_FORMS": "12",
    }
    for index, (criterion, weight) in enumerate(zip(criteria, weights, strict=True)):
        data[f"criteria-{index}-id"] = str(criterion.pk)
        data[f"criteria-{index}-name"] = criterion.display_name
        data[f"criteria-{index}-weight"] = str(weight)
    if extra:
        index = len(criteria)
        data[f"criteria-{index}-name"], data[f"criteria-{index}-weight"] = extra
    return data


def test_page_shows_default_criteria_in_chinese(engineer_client, ticket):
    response = engineer_client.get(url("design", ticket))
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("方案设计", "可行性", "客户影响", "加权对比矩阵", "风险登记", "回滚方案", "草稿"):
        assert text in html
    assert Criterion.objects.filter(ticket=ticket).count() == 5


def test_page_in_english(engineer_client, ticket):
    engineer_client.cookies["django_language"] = "en"
    html = engineer_client.get(url("design", ticket)).content.decode()
    assert "Feasibility" in html and "Weighted comparison matrix" in html


def test_user_without_a_role_gets_403(client, no_role_user, ticket):
    client.force_login(no_role_user)
    assert client.get(url("design", ticket)).status_code == 403
    assert client.post(url("option_add", ticket), option_data()).status_code == 403


def test_unknown_ticket_is_404(engineer_client):
    assert engineer_client.get("/solutions/TS-19990101-0001/").status_code == 404


def test_add_option_inline_with_htmx(engineer_client, ticket):
    response = engineer_client.post(url("option_add", ticket), option_data(), **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="solution-design">')
    assert "已添加方案A。" in html
    option = SolutionOption.objects.get(ticket=ticket)
    assert (option.label, option.estimated_cost, option.duration_days) == ("A", Decimal("50000"), 10)


def test_add_option_without_htmx_redirects(engineer_client, ticket):
    response = engineer_client.post(url("option_add", ticket), option_data())
    assert response.status_code == 302
    assert response["Location"] == url("design", ticket)


@pytest.mark.parametrize("cost", ["5万", "abc", "1,000"])
def test_non_numeric_cost_is_a_clear_error_and_nothing_is_saved(engineer_client, ticket, cost):
    response = engineer_client.post(url("option_add", ticket), option_data(estimated_cost=cost), **HTMX)
    assert response.status_code == 200
    assert "请以数字填写成本(单位:元),例如 5万元 填 50000。" in response.content.decode()
    assert not SolutionOption.objects.exists()
    plain = engineer_client.post(url("option_add", ticket), option_data(estimated_cost=cost))
    assert plain.status_code == 400


def test_non_numeric_cost_error_in_english(engineer_client, ticket):
    engineer_client.cookies["django_language"] = "en"
    response = engineer_client.post(url("option_add", ticket), option_data(estimated_cost="5万"), **HTMX)
    assert "Enter the cost as a number of 元, e.g. 50000 for 5万元." in response.content.decode()


def test_edit_option_inline(engineer_client, ticket, design):
    option = SolutionOptionFactory(ticket=ticket)
    form = engineer_client.get(url("option_edit", ticket, pk=option.pk), **HTMX)
    assert f'id="option-edit-form-{option.pk}"' in form.content.decode()
    response = engineer_client.post(
        url("option_edit", ticket, pk=option.pk), option_data(approach="改用短信验证码"), **HTMX
    )
    assert "修改已保存。" in response.content.decode()
    option.refresh_from_db()
    assert option.approach == "改用短信验证码"


def test_option_of_another_ticket_is_404(engineer_client, ticket, design):
    other = SolutionOptionFactory()
    assert engineer_client.post(url("option_delete", ticket, pk=other.pk)).status_code == 404


def test_criteria_not_summing_to_100_show_an_error_and_save_nothing(engineer_client, ticket, criteria):
    response = engineer_client.post(
        url("criteria", ticket), criteria_data(criteria, [30, 20, 20, 15, 10]), **HTMX
    )
    assert "权重合计为 95%,必须正好等于 100%。" in response.content.decode()
    assert [c.weight for c in criteria_of(ticket)] == [30, 20, 20, 15, 15]


def test_fractional_weight_is_a_form_error(engineer_client, ticket, criteria):
    response = engineer_client.post(
        url("criteria", ticket), criteria_data(criteria, [30, 20, 20, "14.5", "15.5"]), **HTMX
    )
    assert "请以整数百分比填写权重,例如 20。" in response.content.decode()
    assert [c.weight for c in criteria_of(ticket)] == [30, 20, 20, 15, 15]


def test_criteria_set_is_saved_with_a_new_row_and_a_deletion(engineer_client, ticket, criteria):
    data = criteria_data(criteria, [40, 20, 20, 10, 0], extra=("可维护性", "10"))
    data["criteria-4-DELETE"] = "on"
    response = engineer_client.post(url("criteria", ticket), data, **HTMX)
    assert "评估标准已保存。" in response.content.decode()
    assert [(c.display_name, c.weight) for c in criteria_of(ticket)] == [
        ("可行性", 40),
        ("成本", 20),
        ("周期", 20),
        ("风险", 10),
        ("可维护性", 10),
    ]


def test_score_matrix_saves_and_ranks_best_first(engineer_client, ticket, criteria):
    a = SolutionOptionFactory(ticket=ticket)
    b = SolutionOptionFactory(ticket=ticket)
    data = {}
    for criterion, va, vb in zip(criteria, [3, 4, 5, 2, 4], [5, 2, 3, 4, 5], strict=True):
        data[f"s-{a.pk}-{criterion.pk}"] = str(va)
        data[f"s-{b.pk}-{criterion.pk}"] = str(vb)
    response = engineer_client.post(url("scores", ticket), data, **HTMX)
    html = response.content.decode()
    assert "评分已保存。" in html
    ranking = html[html.index('id="ranking"') :]
    assert ranking.index("3.85") < ranking.index("3.60")
    assert ranking.index('data-label="B"') < ranking.index('data-label="A"')


@pytest.mark.parametrize("value", ["7", "0", "x", "2.5"])
def test_score_outside_1_to_5_is_an_error_and_nothing_is_saved(engineer_client, ticket, criteria, value):
    a = SolutionOptionFactory(ticket=ticket)
    data = {f"s-{a.pk}-{criteria[0].pk}": "3", f"s-{a.pk}-{criteria[1].pk}": value}
    response = engineer_client.post(url("scores", ticket), data, **HTMX)
    assert "评分须为 1 到 5 的整数。" in response.content.decode()
    assert not Score.objects.exists()


def test_coverage_matrix_flags_uncovered_musts(engineer_client, ticket, criteria):
    a = SolutionOptionFactory(ticket=ticket)
    must = RequirementItemFactory(ticket=ticket, summary="登录必须恢复", moscow=MoSCoW.MUST)
    other_must = RequirementItemFactory(ticket=ticket, summary="保留历史记录", moscow=MoSCoW.MUST)
    data = {f"c-{a.pk}-{must.pk}": "partial", f"c-{a.pk}-{other_must.pk}": "none"}
    response = engineer_client.post(url("coverage", ticket), data, **HTMX)
    html = response.content.decode()
    assert "覆盖情况已保存。" in html
    assert 'id="musts-uncovered-by-all"' in html
    flagged = html[html.index('id="musts-uncovered-by-all"') :]
    assert "保留历史记录" in flagged[: flagged.index("</div>")]
    assert "登录必须恢复" not in flagged[: flagged.index("</div>")]


def test_submit_errors_are_shown(engineer_client, ticket, criteria):
    SolutionOptionFactory(ticket=ticket)
    response = engineer_client.post(url("submit", ticket), **HTMX)
    html = response.content.decode()
    assert "请至少为一个方案的每项标准打分。" in html and "请选定您推荐的方案。" in html
    assert SolutionDesign.objects.get(ticket=ticket).status == DesignStatus.DRAFT


@pytest.fixture
def submitted(ticket, scored_options, engineer):
    _a, b = scored_options
    services.option_choose(ticket=ticket, option=b, by=engineer)
    return services.design_submit(ticket=ticket, by=engineer)


def test_engineer_cannot_approve(engineer_client, ticket, submitted):
    response = engineer_client.post(url("decide", ticket), {"decision": "approve", "comment": "ok"})
    assert response.status_code == 403
    assert SolutionDesign.objects.get(ticket=ticket).status == DesignStatus.SUBMITTED
    page = engineer_client.get(url("design", ticket)).content.decode()
    assert 'id="decide-form"' not in page and "等待经理审批。" in page


def test_manager_approves_and_the_ticket_moves(manager_client, ticket, submitted, manager):
    page = manager_client.get(url("design", ticket)).content.decode()
    assert 'id="decide-form"' in page
    response = manager_client.post(url("decide", ticket), {"decision": "approve", "comment": "同意"}, **HTMX)
    assert response["HX-Redirect"] == url("design", ticket)  # the page header shows the new stage
    page = manager_client.get(url("design", ticket)).content.decode()
    assert "方案设计已批准,问题进入实施阶段。" in page and "实施" in page
    ticket.refresh_from_db()
    assert ticket.stage == Stage.IMPLEMENTATION
    change = StageChange.objects.get(ticket=ticket)
    assert (change.reason, change.changed_by) == ("方案已批准: 同意", manager)


def test_manager_cannot_approve_own_submission(manager_client, ticket, scored_options, manager):
    _a, b = scored_options
    services.option_choose(ticket=ticket, option=b, by=manager)
    services.design_submit(ticket=ticket, by=manager)
    page = manager_client.get(url("design", ticket)).content.decode()
    assert 'id="own-design-note"' in page and 'id="decide-form"' not in page
    response = manager_client.post(url("decide", ticket), {"decision": "approve"}, **HTMX)
    assert "须由另一位经理审批。" in response.content.decode()
    assert SolutionDesign.objects.get(ticket=ticket).status == DesignStatus.SUBMITTED


def test_reject_needs_a_comment(manager_client, ticket, submitted):
    response = manager_client.post(url("decide", ticket), {"decision": "reject", "comment": ""}, **HTMX)
    assert "请说明驳回的原因,以便修改方案。" in response.content.decode()
    assert SolutionDesign.objects.get(ticket=ticket).status == DesignStatus.SUBMITTED
    response = manager_client.post(
        url("decide", ticket), {"decision": "reject", "comment": "成本太高"}, **HTMX
    )
    html = response.content.decode()
    assert "方案设计已驳回,退回修改。" in html and "成本太高" in html
    design = SolutionDesign.objects.get(ticket=ticket)
    assert design.status == DesignStatus.REJECTED
    ticket.refresh_from_db()
    assert ticket.stage == Stage.DESIGN


def test_submitted_design_locks_editing_on_the_page(engineer_client, ticket, submitted, scored_options):
    a, _b = scored_options
    page = engineer_client.get(url("design", ticket)).content.decode()
    assert 'id="design-locked"' in page
    assert 'id="option-add"' not in page and 'id="scores-form"' in page and 'name="s-' not in page
    response = engineer_client.post(
        url("option_edit", ticket, pk=a.pk), option_data(approach="新思路"), **HTMX
    )
    assert "已不能修改" in response.content.decode()
    a.refresh_from_db()
    assert a.approach != "新思路"


def test_risk_add_and_rollback_plan(engineer_client, ticket, design, engineer):
    data = {
        "description": "升级失败",
        "probability": "low",
        "impact": "high",
        "mitigation": "先备份",
        "owner": engineer.pk,
    }
    response = engineer_client.post(url("risk_add", ticket), data, **HTMX)
    assert "风险已登记。" in response.content.decode()
    response = engineer_client.post(url("rollback", ticket), {"rollback_plan": "恢复旧版本镜像"}, **HTMX)
    assert "回滚方案已保存。" in response.content.decode()
    assert SolutionDesign.objects.get(ticket=ticket).rollback_plan == "恢复旧版本镜像"


def test_risk_without_owner_is_an_error(engineer_client, ticket, design):
    data = {"description": "升级失败", "probability": "low", "impact": "high", "mitigation": ""}
    response = engineer_client.post(url("risk_add", ticket), data)
    assert response.status_code == 400


@pytest.mark.parametrize("rows", [1, 5])
def test_page_query_count_does_not_grow_with_options(
    engineer_client, ticket, criteria, engineer, rows, django_assert_num_queries
):
    requirements = [RequirementItemFactory(ticket=ticket, moscow=MoSCoW.MUST) for _ in range(rows)]
    for _ in range(rows):
        option = SolutionOptionFactory(ticket=ticket, created_by=engineer)
        score_all(ticket, option, [3, 3, 3, 3, 3], engineer)
        services.coverage_save(
            ticket=ticket,
            values={(option.pk, r.pk): "full" for r in requirements},
            requirement_ids={r.pk for r in requirements},
            by=engineer,
        )
        RiskFactory(ticket=ticket, owner=UserFactory(role="engineer"))
    services.option_choose(ticket=ticket, option=option, by=engineer)
    # session, user, ticket, design, options+totals, criteria, scores, requirements, coverage,
    # permissions (user, group), risks, bell, risk owner choices
    with django_assert_num_queries(14):
        response = engineer_client.get(url("design", ticket))
    assert response.status_code == 200
    assert response.content.decode().count('class="ranked-row') == rows


def test_panel_fragment(ticket, scored_options, engineer):
    services.option_choose(ticket=ticket, option=scored_options[1], by=engineer)
    html = render_to_string(
        "solutions/_ticket_panel.html", {"ticket": ticket, "solutions_panel": solution_panel(ticket)}
    )
    assert "2 个方案" in html and "已选定:方案B" in html and "3.85" in html
    assert url("design", ticket) in html


def test_option_labels_beyond_z():
    assert [option_label(n) for n in (1, 26, 27, 52, 53)] == ["A", "Z", "AA", "AZ", "BA"]
