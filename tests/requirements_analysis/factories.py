"""Factories for chapter 2, on top of the shared core factories."""

import factory

from requirements_analysis.models import (
    CollectionMethod,
    MoSCoW,
    RequirementItem,
    RequirementKind,
    Stakeholder,
)
from tests.factories import TicketFactory, UserFactory


class RequirementItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RequirementItem

    ticket = factory.SubFactory(TicketFactory)
    kind = RequirementKind.EXPLICIT
    summary = factory.Sequence(lambda n: f"需要支持批量导出数据{n}")
    surface_need = "需要支持批量导出数据"
    essential_need = "月底对账时一次拿到全部订单"
    collection_method = CollectionMethod.INTERVIEW
    source_person = "王女士"
    source_department = "财务部"
    value = 3
    urgency = 3
    effort = 3
    moscow = MoSCoW.SHOULD
    position = factory.Sequence(lambda n: n)
    created_by = factory.SubFactory(UserFactory, role="engineer")


class StakeholderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Stakeholder

    ticket = factory.SubFactory(TicketFactory)
    name = factory.Sequence(lambda n: f"干系人{n}")
    department = "财务部"
