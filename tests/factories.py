"""Factories for the core models, reused by every app's tests."""

from datetime import timedelta

import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from toolkit.choices import BusinessUrgency, ImpactScope, Priority, ProblemType, Source
from toolkit.models import Contact, Customer, Ticket, User
from toolkit.services import format_ticket_number


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Sequence(lambda n: f"工程师{n}")
    job_title = "技术工程师"
    password = factory.django.Password("pass-Word-123")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"客户{n}公司")


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    customer = factory.SubFactory(CustomerFactory)
    name = factory.Sequence(lambda n: f"王女士{n}")
    details = "13856785678"


class TicketFactory(factory.django.DjangoModelFactory):
    """A ticket saved directly (numbers from a sequence); use toolkit.services to test the real path."""

    class Meta:
        model = Ticket

    number = factory.Sequence(lambda n: format_ticket_number(timezone.localdate(), n + 1))
    customer = factory.SubFactory(CustomerFactory)
    contact = factory.SubFactory(ContactFactory, customer=factory.SelfAttribute("..customer"))
    contact_details = "13856785678"
    source = Source.PHONE
    occurred_at = factory.LazyFunction(
        lambda: timezone.now().replace(second=0, microsecond=0) - timedelta(hours=1)
    )
    description = "系统无法登录,提示验证码错误"
    error_message = ""
    problem_type = ProblemType.FUNCTIONAL
    impact_scope = ImpactScope.SOME_USERS
    business_urgency = BusinessUrgency.HIGH
    priority = Priority.P1
    suggested_priority = Priority.P1
    owner = factory.SubFactory(UserFactory, role="engineer")
    recorded_by = factory.SelfAttribute("owner")
