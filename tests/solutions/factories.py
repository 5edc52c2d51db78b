"""Factories for chapter 3, on top of the shared core factories."""

from decimal import Decimal

import factory

from solutions.models import Level, Risk, SolutionOption, option_label
from tests.factories import TicketFactory, UserFactory


class SolutionOptionFactory(factory.django.DjangoModelFactory):
    """An option saved directly; its number and label follow the ticket's existing options."""

    class Meta:
        model = SolutionOption

    ticket = factory.SubFactory(TicketFactory)
    number = factory.LazyAttribute(lambda o: SolutionOption.objects.filter(ticket=o.ticket).count() + 1)
    label = factory.LazyAttribute(lambda o: option_label(o.number))
    approach = "升级验证码服务并增加缓存"
    estimated_cost = Decimal("50000.00")
    duration_days = 10
    people = 2
    expected_effect = "登录成功率恢复到 99.9%"
    risk_level = Level.MEDIUM
    pros = "改动小"
    cons = "需要停机"
    created_by = factory.SubFactory(UserFactory, role="engineer")


class RiskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Risk

    ticket = factory.SubFactory(TicketFactory)
    description = "升级期间验证码不可用"
    probability = Level.MEDIUM
    impact = Level.HIGH
    mitigation = "夜间窗口升级"
    owner = factory.SubFactory(UserFactory, role="engineer")
