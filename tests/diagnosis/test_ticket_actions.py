"""The ticket page offers each person only the actions toolkit.permissions allows them, and the
actions refuse anyone else even when the request is made by hand."""

import re

import pytest
from django.urls import reverse

from tests.factories import TicketFactory, UserFactory
from toolkit.choices import Stage
from toolkit.models import StageChange, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(db):
    return UserFactory(username="owner", first_name="王工", role="engineer")


@pytest.fixture
def ticket(owner):
    return TicketFactory(owner=owner, recorded_by=owner, stage=Stage.DIAGNOSIS)


def _stage_choices(client, ticket):
    """Every stage the page's stage card lets this person move the ticket to (buttons and lists)."""
    html = client.get(ticket.get_absolute_url()).content.decode()
    card = html[html.index('id="stage"') : html.index("</section>", html.index('id="stage"'))]
    buttons = re.findall(r'name="to_stage" value="([a-z_]+)"', card)
    lists = re.findall(r'<select[^>]*name="to_stage"[^>]*>(.*?)</select>', card, flags=re.S)
    return sorted({*buttons, *(v for options in lists for v in re.findall(r'value="([a-z_]+)"', options))})


def test_someone_elses_ticket_shows_no_stage_actions(engineer_client, ticket):
    page = engineer_client.get(ticket.get_absolute_url())
    html = page.content.decode()
    assert _stage_choices(engineer_client, ticket) == []
    assert 'id="stage-owner-only"' in html
    assert reverse("diagnosis:stage", args=[ticket.number]) not in html  # no form, no start buttons
    assert page.context["forward_stages"] == []


def test_the_owner_and_a_manager_see_every_allowed_move(client, ticket, owner, manager):
    for user in (owner, manager):
        client.force_login(user)
        choices = _stage_choices(client, ticket)
        assert {Stage.CANCELLED, Stage.ON_HOLD, Stage.ANALYSIS, Stage.IMPLEMENTATION} <= set(choices), user
        assert Stage.CLOSED not in choices  # offered once the resolution is verified
        html = client.get(ticket.get_absolute_url()).content.decode()
        assert "开始需求分析" in html  # the chapter's start button


def test_the_recorder_of_a_new_ticket_is_offered_only_cancelling(client, owner, engineer):
    mistake = TicketFactory(owner=owner, recorded_by=engineer)
    client.force_login(engineer)
    assert _stage_choices(client, mistake) == [Stage.CANCELLED]


@pytest.mark.parametrize("to_stage", ["cancelled", "closed", "on_hold"])
def test_a_hand_made_stage_change_on_someone_elses_ticket_is_refused(engineer_client, ticket, to_stage):
    url = reverse("diagnosis:stage", args=[ticket.number])
    response = engineer_client.post(url, {"to_stage": to_stage, "reason": "不是我的工单"})
    assert response.status_code == 403
    assert "只有问题的责任人或经理" in response.content.decode()
    assert Ticket.objects.get(pk=ticket.pk).stage == Stage.DIAGNOSIS
    assert not StageChange.objects.exists()


def test_the_owner_cancels_from_the_page(client, ticket, owner):
    client.force_login(owner)
    url = reverse("diagnosis:stage", args=[ticket.number])
    assert client.post(url, {"to_stage": "cancelled", "reason": "客户撤回"}).status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).stage == Stage.CANCELLED


def _edit_data(form):
    data = {name: form[name].value() for name in form.fields if not form.fields[name].disabled}
    return {name: "" if value is None else value for name, value in data.items()}


def test_the_edit_form_does_not_let_an_engineer_take_someone_elses_ticket(
    engineer_client, engineer, ticket, owner
):
    url = reverse("diagnosis:edit", args=[ticket.number])
    form = engineer_client.get(url).context["form"]
    field = form.fields["owner"]
    assert field.disabled
    assert list(field.queryset) == [owner]
    data = _edit_data(form) | {"owner": engineer.pk, "preliminary_judgement": "网络带宽不足"}
    data["occurred_at"] = form["occurred_at"].value().strftime("%Y-%m-%dT%H:%M")
    response = engineer_client.post(url, data)
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.owner == owner  # the posted owner is ignored
    assert ticket.preliminary_judgement == "网络带宽不足"  # the rest of the edit is kept


def test_the_owner_and_a_manager_choose_any_colleague(client, ticket, owner, manager, engineer):
    url = reverse("diagnosis:edit", args=[ticket.number])
    for user in (owner, manager):
        client.force_login(user)
        field = client.get(url).context["form"].fields["owner"]
        assert not field.disabled
        assert {owner, manager, engineer} <= set(field.queryset)
    client.force_login(owner)
    form = client.get(url).context["form"]
    data = _edit_data(form) | {"owner": engineer.pk}
    data["occurred_at"] = form["occurred_at"].value().strftime("%Y-%m-%dT%H:%M")
    # 转派 without a reason is refused with a message; with one it is saved.
    refused = client.post(url, data)
    assert refused.status_code == 200 and refused.context["form"].errors["reassign_reason"]
    assert Ticket.objects.get(pk=ticket.pk).owner == owner
    assert client.post(url, data | {"reassign_reason": "他更熟悉数据库"}).status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).owner == engineer


def test_the_evaluation_close_button_is_only_for_the_owner(client, owner, engineer):
    from evaluation import services as evaluation

    ticket = TicketFactory(owner=owner, recorded_by=owner, stage=Stage.IMPLEMENTATION)
    evaluation.verification_record(ticket=ticket, by=engineer, method="customer")
    url = reverse("evaluation:page", args=[ticket.number])
    client.force_login(engineer)
    assert 'id="close-form"' not in client.get(url).content.decode()
    assert client.post(reverse("evaluation:close", args=[ticket.number]), {"reason": "x"}).status_code == 403
    assert Ticket.objects.get(pk=ticket.pk).stage == Stage.EVALUATION
    client.force_login(owner)
    assert 'id="close-form"' in client.get(url).content.decode()
