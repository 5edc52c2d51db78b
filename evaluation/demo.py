"""Demo data for chapter 5 (seed_demo): tickets in Evaluation or Closed get a verification (noted as
their problem scenario's check), a follow-up visit, most of them a survey answer, a few days after each
ticket was logged (so spread over the months the tickets span and the charts have data); a few
improvement actions, from the scenarios of the tickets they follow. Deterministic (no randomness) and
quick (bulk_create)."""

import hashlib
from datetime import timedelta

from django.utils import timezone

from toolkit.choices import Stage

from .models import (
    ActionStatus,
    FollowUp,
    ImprovementAction,
    Survey,
    SurveyResponse,
    Verification,
    VerificationMethod,
)

EVALUATED_STAGES = (Stage.EVALUATION, Stage.CLOSED)

METHODS = [
    VerificationMethod.CUSTOMER,
    VerificationMethod.REMOTE_TEST,
    VerificationMethod.MONITORING,
    VerificationMethod.ON_SITE,
]
NOTES = {
    VerificationMethod.CUSTOMER: "客户电话确认功能恢复正常",
    VerificationMethod.REMOTE_TEST: "远程登录客户环境复测,连续10次操作均成功",
    VerificationMethod.MONITORING: "监控显示错误率已降至0.1%以下,持续24小时",
    VerificationMethod.ON_SITE: "现场与客户一起验证,生产调度数据刷新正常",
}
# (response speed, effectiveness, attitude, communication, overall, comment)
ANSWERS = [
    (5, 5, 5, 5, 5, "响应非常及时,工程师很专业,问题当天就解决了。"),
    (4, 4, 5, 4, 4, "整体满意,希望以后能提前通知维护时间。"),
    (3, 4, 4, 3, 3, "问题解决了,但第一次回复有点慢,等了两个多小时。"),
    (5, 4, 5, 5, 4, "沟通很顺畅,每一步都有反馈。"),
    (2, 3, 4, 2, 2, "反复沟通了好几次才定位到原因,希望提高效率。"),
    (4, 5, 5, 4, 5, "方案考虑很周全,上线后再也没有出现过。"),
    (5, 5, 4, 4, 5, ""),
    (3, 3, 4, 4, 3, "临时方案可以用,期待彻底解决。"),
    (4, 4, 4, 5, 4, "服务态度很好,耐心解答我们的问题。"),
    (1, 2, 3, 2, 1, "处理时间太长,影响了我们月底结算。"),
]
OUTCOMES = [
    "客户反馈一周内未再出现问题",
    "回访时客户表示系统运行稳定",
    "客户提出希望增加监控告警,已记录为改进措施",
]
# The first three follow a ticket (its scenario's improvement, when it has one); the last is general.
ACTIONS = [
    ("将本次问题整理为知识库文章,供一线工程师参考", ActionStatus.DONE),
    ("复盘处理过程,更新值班排查手册", ActionStatus.IN_PROGRESS),
    ("为同类故障增加监控告警", ActionStatus.OPEN),
    ("完善变更前的客户通知流程", ActionStatus.OPEN),
]
TICKET_ACTIONS = 3


def seed(*, tickets, users, now, scenarios=None) -> None:
    """`scenarios` maps a ticket id to its demo.scenarios.Scenario (generic notes without one)."""
    scenarios = scenarios or {}
    engineer, manager = users["engineer"], users["manager"]
    evaluated = [
        ticket
        for ticket in tickets
        if ticket.stage in EVALUATED_STAGES and not Verification.objects.filter(ticket=ticket).exists()
    ]
    if not evaluated:
        return
    verifications, follow_ups, surveys, answers = [], [], [], []
    for index, ticket in enumerate(evaluated):
        # A few days after the ticket was logged (the generated tickets span six months), never in the future.
        verified_at = max(
            ticket.recorded_at,
            min(
                ticket.recorded_at + timedelta(days=1 + index % 5, hours=(index * 5) % 9),
                now - timedelta(hours=1),
            ),
        )
        method = METHODS[index % len(METHODS)]
        verifications.append(
            Verification(
                ticket=ticket,
                verified_by=ticket.owner or engineer,
                verified_at=verified_at,
                method=method,
                note=scenarios[ticket.pk].verification if ticket.pk in scenarios else NOTES[method],
            )
        )
        due_at = verified_at + timedelta(days=7)
        done = due_at < now
        follow_ups.append(
            FollowUp(
                ticket=ticket,
                due_at=due_at,
                assignee=ticket.owner or engineer,
                done_at=due_at + timedelta(hours=2) if done else None,
                outcome=OUTCOMES[index % len(OUTCOMES)] if done else "",
                reminded_at=due_at if done else None,
                created_by=engineer,
                created_at=verified_at,
            )
        )
        if index % 4 == 3:
            continue  # not every customer answers
        submitted_at = verified_at + timedelta(days=1, hours=index % 6)
        if submitted_at > now:
            submitted_at = now - timedelta(minutes=5)
        token_hash = hashlib.sha256(f"demo-survey-{ticket.number}".encode()).hexdigest()
        surveys.append(
            Survey(
                ticket=ticket,
                token_hash=token_hash,
                created_by=engineer,
                created_at=verified_at,
                expires_at=verified_at + timedelta(days=14),
                used_at=submitted_at,
            )
        )
        speed, effect, attitude, communication, overall, comment = ANSWERS[index % len(ANSWERS)]
        answers.append(
            SurveyResponse(
                ticket=ticket,
                response_speed=speed,
                effectiveness=effect,
                attitude=attitude,
                communication=communication,
                overall=overall,
                comment=comment,
                submitted_at=submitted_at,
            )
        )
    Verification.objects.bulk_create(verifications)
    FollowUp.objects.bulk_create(follow_ups)
    created = Survey.objects.bulk_create(surveys)
    for survey, answer in zip(created, answers, strict=True):
        answer.survey = survey
    SurveyResponse.objects.bulk_create(answers)

    today = timezone.localdate(now)
    followed = [evaluated[index % len(evaluated)] for index in range(TICKET_ACTIONS)]
    descriptions = [
        scenarios[ticket.pk].improvement if ticket.pk in scenarios else description
        for ticket, (description, _status) in zip(followed, ACTIONS, strict=False)
    ] + [description for description, _status in ACTIONS[TICKET_ACTIONS:]]
    ImprovementAction.objects.bulk_create(
        [
            ImprovementAction(
                ticket=followed[index] if index < TICKET_ACTIONS else None,
                description=descriptions[index],
                owner=manager if index % 2 else engineer,
                due_date=today + timedelta(days=14 * (index + 1) - 30),
                status=status,
                done_at=now - timedelta(days=3) if status == ActionStatus.DONE else None,
                created_by=manager,
                created_at=now - timedelta(days=40 - index),
            )
            for index, (_description, status) in enumerate(ACTIONS)
        ]
    )
