"""Demo data for chapter 2: a worked requirement analysis on a few tickets past diagnosis (seed_demo)."""

from decimal import Decimal

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

ITEMS = [
    {
        "kind": RequirementKind.EXPLICIT,
        "summary": "恢复登录与验证码校验",
        "surface_need": "客户要求尽快恢复登录",
        "essential_need": "保证订单提交不中断",
        "collection_method": CollectionMethod.TICKET,
        "source_person": "王女士",
        "source_department": "运营部",
        "value": 5,
        "urgency": 5,
        "effort": 2,
        "moscow": MoSCoW.MUST,
    },
    {
        "kind": RequirementKind.IMPLICIT,
        "summary": "故障时给出明确的错误提示",
        "surface_need": "用户看不懂“验证码错误”",
        "essential_need": "减少客服重复咨询",
        "collection_method": CollectionMethod.INTERVIEW,
        "source_person": "李主管",
        "source_department": "客服中心",
        "value": 3,
        "urgency": 2,
        "effort": 1,
        "moscow": MoSCoW.SHOULD,
    },
    {
        "kind": RequirementKind.CONSTRAINT,
        "summary": "改造预算上限",
        "collection_method": CollectionMethod.INTERVIEW,
        "source_person": "赵总监",
        "source_department": "财务部",
        "constraint_type": ConstraintType.AMOUNT,
        "constraint_amount": Decimal("80000"),
        "constraint_text": "元",
        "value": 4,
        "urgency": 3,
        "effort": 3,
        "moscow": MoSCoW.MUST,
    },
]


def seed(*, tickets, users, now) -> list:
    """Three items and two stakeholders (one confirmed) on a few tickets past diagnosis."""
    engineer = users["engineer"]
    # The first couple in each stage past diagnosis, so every later chapter has tickets to show;
    # those already analysed (an earlier run) are left as they are.
    chosen = []
    for stage in ANALYSED_STAGES:
        chosen += [ticket for ticket in tickets if ticket.stage == stage][:PER_STAGE]
    done = set(RequirementItem.objects.filter(ticket__in=chosen).values_list("ticket_id", flat=True))
    analysed = [ticket for ticket in chosen if ticket.pk not in done]
    for ticket in analysed:
        for fields in ITEMS:
            services.requirement_item_create(ticket=ticket, by=engineer, **fields)
        confirmed = services.stakeholder_add(ticket=ticket, name="王女士", department="运营部", by=engineer)
        services.stakeholder_add(ticket=ticket, name="赵总监", department="财务部", by=engineer)
        services.stakeholder_respond(stakeholder=confirmed, status=ConfirmationStatus.CONFIRMED, by=engineer)
    return analysed
