"""Demo data for chapter 3 (seed_demo, after requirements_analysis.demo): each analysed ticket gets its
problem scenario's two scored options, risk and rollback plan, written by the ticket's owner; past
design, the manager approves option A."""

from toolkit.choices import Stage

from . import services
from .models import CoverageLevel, Level, SolutionDesign
from .selectors import criteria_of, requirements_of

DESIGNED_STAGES = (Stage.DESIGN, Stage.IMPLEMENTATION, Stage.EVALUATION)
APPROVED_STAGES = (Stage.IMPLEMENTATION, Stage.EVALUATION)
# Scores per criterion (可行性, 成本, 周期, 风险, 客户影响) and coverage of the requirement items:
# option A, the quick targeted fix, ranks first; B, the larger rebuild, second.
SCORES = ([5, 4, 5, 3, 4], [3, 2, 2, 2, 3])
COVERAGE = (CoverageLevel.FULL, CoverageLevel.PARTIAL)


def seed(*, tickets, users, now, scenarios=None) -> list:
    """`scenarios` maps a ticket id to its demo.scenarios.Scenario."""
    scenarios = scenarios or {}
    manager = users["manager"]
    designed = [
        ticket
        for ticket in tickets
        if ticket.stage in DESIGNED_STAGES
        and ticket.pk in scenarios
        and requirements_of(ticket).exists()
        and not SolutionDesign.objects.filter(ticket=ticket).exists()
    ]
    for ticket in designed:
        scenario = scenarios[ticket.pk]
        designer = ticket.owner or users["engineer"]
        services.design_get_or_create(ticket=ticket)
        criteria = list(criteria_of(ticket))
        requirement_ids = set(requirements_of(ticket).values_list("pk", flat=True))
        options = []
        for option_text, scores, coverage in zip(scenario.options, SCORES, COVERAGE, strict=True):
            option = services.option_create(
                ticket=ticket,
                by=designer,
                approach=option_text.approach,
                estimated_cost=option_text.estimated_cost,
                duration_days=option_text.duration_days,
                people=option_text.people,
                expected_effect=option_text.expected_effect,
                risk_level=Level(option_text.risk_level),
                pros=option_text.pros,
                cons=option_text.cons,
            )
            options.append(option)
            services.scores_save(
                ticket=ticket,
                values={(option.pk, c.pk): s for c, s in zip(criteria, scores, strict=True)},
                by=designer,
            )
            services.coverage_save(
                ticket=ticket,
                values={(option.pk, pk): coverage for pk in requirement_ids},
                requirement_ids=requirement_ids,
                by=designer,
            )
        risk, mitigation = scenario.risk
        services.risk_create(
            ticket=ticket,
            description=risk,
            probability=Level.MEDIUM,
            impact=Level.HIGH,
            mitigation=mitigation,
            owner=designer,
            by=designer,
        )
        services.rollback_plan_save(ticket=ticket, text=scenario.rollback, by=designer)
        services.option_choose(ticket=ticket, option=options[0], by=designer)
        if ticket.stage in APPROVED_STAGES:
            services.design_submit(ticket=ticket, by=designer)
            # A ticket already in evaluation stays there (an approval only moves a ticket forward).
            services.design_approve(ticket=ticket, by=manager, comment="同意按方案A实施")
    return designed
