"""Demo data for chapter 2 (seed_demo): a worked requirement analysis on a few tickets past diagnosis,
with the requirement items of each ticket's problem scenario."""

from toolkit.choices import Stage

from . import services
from .models import (
    CollectionMethod,
    ConfirmationStatus,
    ConstraintType,
    MoSCoW,
    RequirementItem,
    RequirementKind,
)

ANALYSED_STAGES = (Stage.ANALYSIS, Stage.DESIGN, Stage.IMPLEMENTATION, Stage.EVALUATION)
PER_STAGE = 2
IT_LEAD = ("信息中心负责人", "信息中心")
FINANCE = ("赵总监", "财务部")


def _items(ticket, scenario) -> list[dict]:
    """The scenario's explicit need (from the ticket's contact), implicit need and constraint."""
    contact = ticket.contact.name if ticket.contact_id else "客户联系人"
    constraint = scenario.constraint
    by = FINANCE if constraint.amount is not None else IT_LEAD
    return [
        {
            "kind": RequirementKind.EXPLICIT,
            "summary": scenario.explicit.summary,
            "surface_need": scenario.explicit.surface_need,
            "essential_need": scenario.explicit.essential_need,
            "collection_method": CollectionMethod.TICKET,
            "source_person": contact,
            "source_department": "业务部门",
            "value": 5,
            "urgency": 5,
            "effort": 2,
            "moscow": MoSCoW.MUST,
        },
        {
            "kind": RequirementKind.IMPLICIT,
            "summary": scenario.implicit.summary,
            "surface_need": scenario.implicit.surface_need,
            "essential_need": scenario.implicit.essential_need,
            "collection_method": CollectionMethod.INTERVIEW,
            "source_person": IT_LEAD[0],
            "source_department": IT_LEAD[1],
            "value": 3,
            "urgency": 2,
            "effort": 2,
            "moscow": MoSCoW.SHOULD,
        },
        {
            "kind": RequirementKind.CONSTRAINT,
            "summary": constraint.summary,
            "collection_method": CollectionMethod.INTERVIEW,
            "source_person": by[0],
            "source_department": by[1],
            "value": 4,
            "urgency": 3,
            "effort": 3,
            "moscow": MoSCoW.MUST,
            **(
                {
                    "constraint_type": ConstraintType.AMOUNT,
                    "constraint_amount": constraint.amount,
                    "constraint_text": "元",
                }
                if constraint.amount is not None
                else {"constraint_type": ConstraintType.TEXT, "constraint_text": constraint.text}
            ),
        },
    ]


def seed(*, tickets, users, now, scenarios=None) -> list:
    """Three items and two stakeholders (one confirmed) on a few tickets past diagnosis, written by the
    ticket's owner. `scenarios` maps a ticket id to its demo.scenarios.Scenario."""
    scenarios = scenarios or {}
    # The first couple in each stage past diagnosis, so every later chapter has tickets to show;
    # those already analysed (an earlier run) are left as they are.
    known = [ticket for ticket in tickets if ticket.pk in scenarios]
    chosen = []
    for stage in ANALYSED_STAGES:
        chosen += [ticket for ticket in known if ticket.stage == stage][:PER_STAGE]
    done = set(RequirementItem.objects.filter(ticket__in=chosen).values_list("ticket_id", flat=True))
    analysed = [ticket for ticket in chosen if ticket.pk not in done]
    for ticket in analysed:
        analyst = ticket.owner or users["engineer"]
        for fields in _items(ticket, scenarios[ticket.pk]):
            services.requirement_item_create(ticket=ticket, by=analyst, **fields)
        contact = ticket.contact.name if ticket.contact_id else "客户联系人"
        confirmed = services.stakeholder_add(ticket=ticket, name=contact, department="业务部门", by=analyst)
        services.stakeholder_add(ticket=ticket, name=IT_LEAD[0], department=IT_LEAD[1], by=analyst)
        services.stakeholder_respond(stakeholder=confirmed, status=ConfirmationStatus.CONFIRMED, by=analyst)
    return analysed
