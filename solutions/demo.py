"""Demo data for chapter 3: two scored options per analysed ticket; past design, the design is approved
(seed_demo, after requirements_analysis.demo)."""

from decimal import Decimal

from requirements_analysis.models import RequirementItem
from toolkit.choices import Stage
from toolkit.services import ticket_change_stage

from . import services
from .models import CoverageLevel, Level, SolutionDesign
from .selectors import criteria_of

DESIGNED_STAGES = (Stage.DESIGN, Stage.IMPLEMENTATION, Stage.EVALUATION)
APPROVED_STAGES = (Stage.IMPLEMENTATION, Stage.EVALUATION)

OPTIONS = [
    (
        {
            "approach": "扩容验证码服务\n增加缓存与熔断\n灰度发布并监控",
            "estimated_cost": Decimal("50000"),
            "duration_days": 6,
            "people": 2,
            "expected_effect": "登录成功率恢复到 99.9%",
            "risk_level": Level.MEDIUM,
            "pros": "改动小,见效快",
            "cons": "需要短暂停机",
        },
        [5, 4, 5, 3, 4],
        CoverageLevel.FULL,
    ),
    (
        {
            "approach": "更换验证码供应商\n全量切换",
            "estimated_cost": Decimal("120000"),
            "duration_days": 20,
            "people": 3,
            "expected_effect": "根本解决验证码不稳定",
            "risk_level": Level.HIGH,
            "pros": "长期稳定",
            "cons": "成本高,周期长",
        },
        [3, 2, 2, 2, 3],
        CoverageLevel.PARTIAL,
    ),
]


def seed(*, tickets, users, now) -> list:
    engineer, manager = users["engineer"], users["manager"]
    designed = [
        ticket
        for ticket in tickets
        if ticket.stage in DESIGNED_STAGES
        and RequirementItem.objects.filter(ticket=ticket).exists()
        and not SolutionDesign.objects.filter(ticket=ticket).exists()
    ]
    for ticket in designed:
        services.design_get_or_create(ticket=ticket)
        criteria = list(criteria_of(ticket))
        requirement_ids = set(RequirementItem.objects.filter(ticket=ticket).values_list("pk", flat=True))
        options = []
        for fields, scores, coverage in OPTIONS:
            option = services.option_create(ticket=ticket, by=engineer, **fields)
            options.append(option)
            services.scores_save(
                ticket=ticket,
                values={(option.pk, c.pk): s for c, s in zip(criteria, scores, strict=True)},
                by=engineer,
            )
            services.coverage_save(
                ticket=ticket,
                values={(option.pk, pk): coverage for pk in requirement_ids},
                requirement_ids=requirement_ids,
                by=engineer,
            )
        services.risk_create(
            ticket=ticket,
            description="扩容期间验证码服务短暂不可用",
            probability=Level.MEDIUM,
            impact=Level.HIGH,
            mitigation="选择夜间低峰发布",
            owner=engineer,
            by=engineer,
        )
        services.rollback_plan_save(
            ticket=ticket, text="1. 切回原实例\n2. 清理缓存\n3. 通知客户", by=engineer
        )
        services.option_choose(ticket=ticket, option=options[0], by=engineer)
        if ticket.stage in APPROVED_STAGES:
            services.design_submit(ticket=ticket, by=engineer)
            services.design_approve(ticket=ticket, by=manager, comment="同意按方案A实施")
            if ticket.stage == Stage.EVALUATION:
                # Approval moved it to implementation; the demo ticket had already got further.
                ticket_change_stage(
                    ticket=ticket,
                    to_stage=Stage.EVALUATION,
                    reason="实施完成",
                    by=engineer,
                    chapter_step=True,
                )
    return designed
