"""Services of chapter 3: weighted totals, criteria rules, coverage flags, approval rules and stage move."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from requirements_analysis.models import MoSCoW
from solutions import services
from solutions.models import Criterion, CriterionKey, DesignStatus, Score, SolutionDesign
from solutions.selectors import approved_option, comparison, criteria_of, options_ranked, solution_panel
from tests.factories import TicketFactory, UserFactory
from tests.requirements_analysis.factories import RequirementItemFactory
from toolkit.choices import Stage
from toolkit.models import StageChange

from .conftest import score_all
from .factories import SolutionOptionFactory

pytestmark = pytest.mark.django_db


def test_first_use_creates_spec_default_criteria(ticket, design):
    criteria = list(criteria_of(ticket))
    assert [(c.key, c.weight) for c in criteria] == [
        (CriterionKey.FEASIBILITY, 30),
        (CriterionKey.COST, 20),
        (CriterionKey.TIME, 20),
        (CriterionKey.RISK, 15),
        (CriterionKey.CUSTOMER_IMPACT, 15),
    ]
    assert [c.display_name for c in criteria] == ["可行性", "成本", "周期", "风险", "客户影响"]
    services.design_get_or_create(ticket=ticket)
    assert Criterion.objects.filter(ticket=ticket).count() == 5


def test_default_criterion_names_follow_the_language(criteria, settings):
    from django.utils import translation

    with translation.override("en"):
        assert [c.display_name for c in criteria] == [
            "Feasibility",
            "Cost",
            "Time",
            "Risk",
            "Customer impact",
        ]


def test_weighted_totals_and_best_first_order(ticket, scored_options):
    a, b = scored_options
    data = comparison(ticket)
    assert [(entry.option.label, entry.total, entry.rank) for entry in data.ranked] == [
        ("B", Decimal("3.85"), 1),
        ("A", Decimal("3.60"), 2),
    ]
    assert all(entry.complete for entry in data.ranked)
    assert [option.label for option in data.options] == ["A", "B"]  # matrix columns stay in label order


def test_unscored_cells_count_zero_and_mark_the_option_incomplete(ticket, criteria, engineer):
    a = SolutionOptionFactory(ticket=ticket)
    services.scores_save(ticket=ticket, values={(a.pk, criteria[0].pk): 5}, by=engineer)
    [entry] = comparison(ticket).ranked
    assert entry.total == Decimal("1.50")
    assert entry.complete is False


def test_equal_totals_keep_label_order(ticket, criteria, engineer):
    a = SolutionOptionFactory(ticket=ticket)
    b = SolutionOptionFactory(ticket=ticket)
    score_all(ticket, b, [4, 4, 4, 4, 4], engineer)
    score_all(ticket, a, [4, 4, 4, 4, 4], engineer)
    assert [o.label for o in options_ranked(ticket)] == ["A", "B"]


def test_totals_with_odd_weights_are_exact_to_two_decimals(ticket, criteria, engineer):
    rows = [
        {"id": c.pk, "name": c.display_name, "weight": w}
        for c, w in zip(criteria, [33, 33, 17, 9, 8], strict=True)
    ]
    services.criteria_replace(ticket=ticket, rows=rows, by=engineer)
    a = SolutionOptionFactory(ticket=ticket)
    score_all(ticket, a, [5, 4, 3, 2, 1], engineer)
    # (165 + 132 + 51 + 18 + 8) / 100 = 3.74
    assert comparison(ticket).ranked[0].total == Decimal("3.74")


def test_labels_follow_creation_order_and_never_shift(ticket, design, engineer):
    fields = {"approach": "x", "estimated_cost": Decimal(1), "duration_days": 1, "people": 1}
    a, b, c = (services.option_create(ticket=ticket, by=engineer, **fields) for _ in range(3))
    services.option_delete(option=b, by=engineer)
    d = services.option_create(ticket=ticket, by=engineer, **fields)
    c.refresh_from_db()
    assert (a.label, c.label, d.label) == ("A", "C", "D")
    assert a.display_label == "方案A"


@pytest.mark.parametrize(
    ("weights", "message"),
    [([30, 20, 20, 15, 10], "95%"), ([30, 20, 20, 15, 20], "105%"), ([], "至少")],
)
def test_weights_must_sum_to_100_and_nothing_is_saved(ticket, criteria, engineer, weights, message):
    rows = [
        {"id": c.pk, "name": c.display_name, "weight": w} for c, w in zip(criteria, weights, strict=False)
    ]
    with pytest.raises(ValidationError) as caught:
        services.criteria_replace(ticket=ticket, rows=rows, by=engineer)
    assert message in " ".join(caught.value.messages)
    assert [(c.key, c.weight) for c in criteria_of(ticket)] == [(c.key, c.weight) for c in criteria]


def test_fractional_weight_is_refused(ticket, criteria, engineer):
    rows = [
        {"id": c.pk, "name": c.display_name, "weight": w}
        for c, w in zip(criteria, [30.5, 19.5, 20, 15, 15], strict=True)
    ]
    with pytest.raises(ValidationError):
        services.criteria_replace(ticket=ticket, rows=rows, by=engineer)


def test_criteria_edit_renames_adds_and_deletes_with_their_scores(ticket, scored_options, criteria, engineer):
    rows = [
        {"id": criteria[0].pk, "name": "可行性", "weight": 40},  # untouched name: stays a translated default
        {"id": criteria[1].pk, "name": "总成本", "weight": 30},  # renamed: becomes typed text
        {"id": None, "name": "可维护性", "weight": 30},
    ]
    services.criteria_replace(ticket=ticket, rows=rows, by=engineer)
    saved = list(criteria_of(ticket))
    assert [(c.key, c.name, c.weight) for c in saved] == [
        ("feasibility", "", 40),
        ("", "总成本", 30),
        ("", "可维护性", 30),
    ]
    assert not Score.objects.filter(criterion_id__in=[c.pk for c in criteria[2:]]).exists()
    assert all(not entry.complete for entry in comparison(ticket).ranked)  # the new criterion is unscored


def test_scores_outside_1_to_5_are_refused(ticket, criteria, engineer):
    a = SolutionOptionFactory(ticket=ticket)
    with pytest.raises(ValidationError):
        services.scores_save(ticket=ticket, values={(a.pk, criteria[0].pk): 6}, by=engineer)
    assert not Score.objects.exists()


def test_scores_cannot_point_at_another_ticket(ticket, criteria, engineer):
    other = SolutionOptionFactory(ticket=TicketFactory())
    with pytest.raises(ValidationError):
        services.scores_save(ticket=ticket, values={(other.pk, criteria[0].pk): 3}, by=engineer)


def test_negative_cost_is_refused(ticket, design, engineer):
    with pytest.raises(ValidationError):
        services.option_create(
            ticket=ticket, by=engineer, approach="x", estimated_cost=Decimal(-1), duration_days=1, people=1
        )


# Coverage ------------------------------------------------------------------------------------------


@pytest.fixture
def requirements(ticket):
    must_a = RequirementItemFactory(ticket=ticket, summary="登录必须恢复", moscow=MoSCoW.MUST)
    must_b = RequirementItemFactory(ticket=ticket, summary="保留历史记录", moscow=MoSCoW.MUST)
    could = RequirementItemFactory(ticket=ticket, summary="界面美化", moscow=MoSCoW.COULD)
    return must_a, must_b, could


def test_coverage_flags_musts_per_option_for_all_and_for_the_chosen(
    ticket, scored_options, requirements, engineer
):
    a, b = scored_options
    must_a, must_b, could = requirements
    services.coverage_save(
        ticket=ticket,
        values={
            (a.pk, must_a.pk): "full",
            (b.pk, must_a.pk): "partial",
            (a.pk, must_b.pk): "none",
            (a.pk, could.pk): "none",
        },
        requirement_ids={r.pk for r in requirements},
        by=engineer,
    )
    services.option_choose(ticket=ticket, option=a, by=engineer)
    data = comparison(ticket, chosen_option_id=a.pk)
    assert [r.summary for r in data.uncovered_musts[a.pk]] == ["保留历史记录"]
    # B covers must_a partly (counts as covered) and was never assessed on must_b.
    assert [r.summary for r in data.uncovered_musts[b.pk]] == ["保留历史记录"]
    assert [r.summary for r in data.musts_uncovered_by_all] == ["保留历史记录"]
    assert [r.summary for r in data.musts_uncovered_by_chosen] == ["保留历史记录"]
    row = next(r for r in data.coverage_rows if r.requirement.pk == must_a.pk)
    assert [level for _option, level in row.cells] == ["full", "partial"]
    # A Could left uncovered is not flagged.
    assert could not in data.musts_uncovered_by_all


def test_coverage_refuses_requirements_of_another_ticket(ticket, scored_options, engineer):
    a, _b = scored_options
    foreign = RequirementItemFactory(ticket=TicketFactory(), moscow=MoSCoW.MUST)
    with pytest.raises(ValidationError):
        services.coverage_save(
            ticket=ticket, values={(a.pk, foreign.pk): "full"}, requirement_ids=set(), by=engineer
        )


# Approval ------------------------------------------------------------------------------------------


@pytest.fixture
def submitted(ticket, scored_options, engineer):
    a, b = scored_options
    services.option_choose(ticket=ticket, option=b, by=engineer)
    return services.design_submit(ticket=ticket, by=engineer)


def test_submit_needs_a_chosen_fully_scored_option(ticket, criteria, engineer):
    a = SolutionOptionFactory(ticket=ticket)
    with pytest.raises(ValidationError) as caught:
        services.design_submit(ticket=ticket, by=engineer)
    assert set(caught.value.messages) == {"请至少为一个方案的每项标准打分。", "请选定您推荐的方案。"}
    services.option_choose(ticket=ticket, option=a, by=engineer)
    b = SolutionOptionFactory(ticket=ticket)
    score_all(ticket, b, [3, 3, 3, 3, 3], engineer)
    with pytest.raises(ValidationError) as caught:
        services.design_submit(ticket=ticket, by=engineer)
    assert caught.value.messages == ["请为选定的方案(方案A)的每项标准打分。"]
    assert SolutionDesign.objects.get(ticket=ticket).status == DesignStatus.DRAFT


def test_submit_records_who_and_when(submitted, engineer):
    assert submitted.status == DesignStatus.SUBMITTED
    assert submitted.submitted_by == engineer
    assert submitted.submitted_at is not None


def test_submitted_design_is_locked(ticket, submitted, scored_options, criteria, engineer):
    a, _b = scored_options
    with pytest.raises(ValidationError):
        services.option_update(option=a, by=engineer, approach="换个思路")
    with pytest.raises(ValidationError):
        services.scores_save(ticket=ticket, values={(a.pk, criteria[0].pk): 1}, by=engineer)
    with pytest.raises(ValidationError):
        services.option_create(
            ticket=ticket, by=engineer, approach="x", estimated_cost=Decimal(1), duration_days=1, people=1
        )
    # The risk register stays open.
    services.risk_create(
        ticket=ticket, by=engineer, description="回滚失败", probability="low", impact="high", owner=engineer
    )


def test_engineer_cannot_approve(ticket, submitted):
    other_engineer = UserFactory(role="engineer")
    with pytest.raises(PermissionDenied):
        services.design_approve(ticket=ticket, by=other_engineer, comment="ok")
    assert SolutionDesign.objects.get(ticket=ticket).status == DesignStatus.SUBMITTED


def test_submitter_cannot_approve_their_own_design(ticket, scored_options, manager):
    _a, b = scored_options
    services.option_choose(ticket=ticket, option=b, by=manager)
    services.design_submit(ticket=ticket, by=manager)
    with pytest.raises(ValidationError) as caught:
        services.design_approve(ticket=ticket, by=manager, comment="")
    assert "另一位经理" in caught.value.messages[0]
    assert not StageChange.objects.filter(ticket=ticket).exists()


def test_manager_approves_and_the_ticket_moves_to_implementation(ticket, submitted, manager, scored_options):
    _a, b = scored_options
    design = services.design_approve(ticket=ticket, by=manager, comment="同意,按方案B实施")
    assert design.status == DesignStatus.APPROVED
    assert (design.decided_by, design.decision_comment) == (manager, "同意,按方案B实施")
    ticket.refresh_from_db()
    assert ticket.stage == Stage.IMPLEMENTATION
    change = StageChange.objects.get(ticket=ticket)
    assert (change.from_stage, change.to_stage, change.changed_by) == (
        Stage.DESIGN,
        Stage.IMPLEMENTATION,
        manager,
    )
    assert change.reason == "方案已批准: 同意,按方案B实施"
    assert approved_option(ticket) == b


def test_approval_reason_is_in_the_site_language_whoever_approves(ticket, submitted, manager):
    from django.utils import translation

    with translation.override("en"):
        services.design_approve(ticket=ticket, by=manager, comment="")
    assert StageChange.objects.get(ticket=ticket).reason == "方案已批准: 方案B"


def test_admin_can_approve(ticket, submitted, admin_user):
    services.design_approve(ticket=ticket, by=admin_user, comment="ok")
    assert SolutionDesign.objects.get(ticket=ticket).status == DesignStatus.APPROVED


def test_reject_needs_a_comment_and_hands_the_design_back(
    ticket, submitted, manager, scored_options, engineer
):
    with pytest.raises(ValidationError) as caught:
        services.design_reject(ticket=ticket, by=manager, comment="  ")
    assert caught.value.message_dict == {"comment": ["请说明驳回的原因,以便修改方案。"]}
    assert SolutionDesign.objects.get(ticket=ticket).status == DesignStatus.SUBMITTED

    design = services.design_reject(ticket=ticket, by=manager, comment="成本太高")
    assert design.status == DesignStatus.REJECTED and design.is_editable
    ticket.refresh_from_db()
    assert ticket.stage == Stage.DESIGN
    # Rework, then resubmit.
    a, _b = scored_options
    services.option_update(option=a, by=engineer, estimated_cost=Decimal("30000"))
    assert services.design_submit(ticket=ticket, by=engineer).status == DesignStatus.SUBMITTED


def test_only_a_submitted_design_can_be_decided(ticket, scored_options, manager):
    with pytest.raises(ValidationError):
        services.design_approve(ticket=ticket, by=manager, comment="")


def test_closed_ticket_design_cannot_change(scored_options, ticket, engineer):
    ticket.stage = Stage.CLOSED
    ticket.save(update_fields=["stage"])
    a, _b = scored_options
    with pytest.raises(ValidationError):
        services.option_update(option=a, by=engineer, approach="y")


def test_panel_in_two_queries(ticket, submitted, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        panel = solution_panel(ticket)
    assert (panel.status, panel.option_count, panel.chosen_label) == ("submitted", 2, "B")
    assert panel.top_options == [("方案B", Decimal("3.85")), ("方案A", Decimal("3.60"))]


def test_panel_of_a_ticket_without_design_in_one_query(django_assert_num_queries):
    ticket = TicketFactory()
    with django_assert_num_queries(1):
        panel = solution_panel(ticket)
    assert (panel.status, panel.option_count, panel.top_options) == (None, 0, [])
