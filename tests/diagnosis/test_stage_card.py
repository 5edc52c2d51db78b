"""The ticket page's stage card (issue 14 §6): the next sensible step is the one primary button, going back
is a separate form that needs a reason, closing needs a verified resolution, a started stage opens on its
chapter's page, and a duplicate is cancelled naming the other ticket."""

import re

import pytest
from django.urls import reverse

from evaluation.models import Verification
from tests.factories import TicketFactory, UserFactory
from toolkit.choices import Stage
from toolkit.models import StageChange, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(db):
    return UserFactory(username="card-owner", first_name="李工", role="engineer")


def _ticket(owner, stage):
    return TicketFactory(owner=owner, recorded_by=owner, stage=stage)


def _card(client, ticket) -> str:
    html = client.get(ticket.get_absolute_url()).content.decode()
    start = html.index('id="stage"')
    return html[start : html.index("</section>", start)]


def _primary(card: str) -> str | None:
    match = re.search(r'id="stage-primary">.*?name="to_stage" value="(\w+)"', card, re.S)
    return match.group(1) if match else None


def _secondary(card: str) -> list[str]:
    return re.findall(r'class="d-inline stage-secondary">.*?name="to_stage" value="(\w+)"', card, re.S)


@pytest.mark.parametrize(
    ("stage", "primary", "secondary"),
    [
        (Stage.NEW, Stage.DIAGNOSIS, []),
        (Stage.DIAGNOSIS, Stage.ANALYSIS, [Stage.DESIGN, Stage.EVALUATION]),
        (Stage.ANALYSIS, Stage.DESIGN, [Stage.EVALUATION]),
        (Stage.IMPLEMENTATION, Stage.EVALUATION, []),
    ],
)
def test_the_next_sensible_step_is_the_one_primary_button(client, owner, stage, primary, secondary):
    client.force_login(owner)
    card = _card(client, _ticket(owner, stage))
    assert card.count("btn-primary") == 1
    assert _primary(card) == primary
    assert _secondary(card) == secondary


def test_design_waits_for_the_approval_before_implementation(client, owner):
    client.force_login(owner)
    ticket = _ticket(owner, Stage.DESIGN)
    card = _card(client, ticket)
    assert _primary(card) is None
    assert 'id="stage-waiting"' in card
    assert reverse("solutions:design", args=[ticket.number]) in card
    assert 'value="implementation"' not in card  # not by another way either


def test_evaluation_closes_only_once_the_resolution_is_verified(client, owner):
    client.force_login(owner)
    ticket = _ticket(owner, Stage.EVALUATION)
    card = _card(client, ticket)
    assert _primary(card) is None
    assert reverse("evaluation:page", args=[ticket.number]) in card
    assert 'value="closed"' not in card  # not offered in "other move" either
    Verification.objects.create(ticket=ticket, verified_by=owner, method="customer")
    assert _primary(_card(client, ticket)) == Stage.CLOSED


def test_going_back_is_a_separate_form_with_the_earlier_stages(client, owner):
    client.force_login(owner)
    card = _card(client, _ticket(owner, Stage.DESIGN))
    back = card[card.index('id="stage-back"') : card.index("</details>", card.index('id="stage-back"'))]
    assert re.findall(r'<option value="(\w+)"', back) == ["new", "diagnosis", "analysis"]
    assert 'name="back" value="1"' in back
    assert "required" in back  # the reason


def test_a_closed_ticket_offers_only_reopening(client, owner):
    client.force_login(owner)
    card = _card(client, _ticket(owner, Stage.CLOSED))
    assert _primary(card) is None
    assert 'id="stage-back"' in card and 'id="stage-other"' not in card
    assert 'id="stage-duplicate"' not in card


def test_moving_back_without_confirming_or_without_a_reason_is_refused(client, owner):
    client.force_login(owner)
    ticket = _ticket(owner, Stage.DESIGN)
    url = reverse("diagnosis:stage", args=[ticket.number])
    response = client.post(url, {"to_stage": "diagnosis", "reason": "方案推翻"}, follow=True)
    assert "alert-danger" in response.content.decode()
    client.post(url, {"to_stage": "diagnosis", "reason": "", "back": "1"})
    assert Ticket.objects.get(pk=ticket.pk).stage == Stage.DESIGN
    assert not StageChange.objects.exists()
    response = client.post(url, {"to_stage": "diagnosis", "reason": "方案推翻", "back": "1"})
    assert response.status_code == 302 and response["Location"].endswith("#stage")
    assert Ticket.objects.get(pk=ticket.pk).stage == Stage.DIAGNOSIS


def test_closing_by_hand_without_verification_is_refused(client, owner):
    client.force_login(owner)
    ticket = _ticket(owner, Stage.EVALUATION)
    client.post(reverse("diagnosis:stage", args=[ticket.number]), {"to_stage": "closed", "reason": "好了"})
    assert Ticket.objects.get(pk=ticket.pk).stage == Stage.EVALUATION


@pytest.mark.parametrize(
    ("from_stage", "to_stage", "page"),
    [
        (Stage.DIAGNOSIS, Stage.ANALYSIS, "requirements_analysis:analysis"),
        (Stage.DIAGNOSIS, Stage.DESIGN, "solutions:design"),
        (Stage.IMPLEMENTATION, Stage.EVALUATION, "evaluation:page"),
    ],
)
def test_starting_a_stage_opens_it(client, owner, from_stage, to_stage, page):
    client.force_login(owner)
    ticket = _ticket(owner, from_stage)
    response = client.post(
        reverse("diagnosis:stage", args=[ticket.number]), {"to_stage": to_stage, "reason": "开始"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse(page, args=[ticket.number])
    assert client.get(response["Location"]).status_code == 200


def test_cancel_as_duplicate_from_the_page(client, owner):
    client.force_login(owner)
    original = _ticket(owner, Stage.DIAGNOSIS)
    copy = _ticket(owner, Stage.NEW)
    url = reverse("diagnosis:duplicate", args=[copy.number])
    client.post(url, {"duplicate_of": "TS-00000000-0000", "reason": ""})
    assert Ticket.objects.get(pk=copy.pk).stage == Stage.NEW
    client.post(url, {"duplicate_of": original.number.lower(), "reason": "同一来电"})
    copy.refresh_from_db()
    assert (copy.stage, copy.duplicate_of) == (Stage.CANCELLED, original)
    card = _card(client, copy)
    assert original.get_absolute_url() in card


def test_someone_elses_ticket_shows_no_moves(engineer_client, owner):
    card = _card(engineer_client, _ticket(owner, Stage.DIAGNOSIS))
    assert _primary(card) is None
    assert 'id="stage-owner-only"' in card
    assert "<form" not in card


def test_a_hand_made_duplicate_on_someone_elses_ticket_is_refused(engineer_client, owner):
    original = _ticket(owner, Stage.DIAGNOSIS)
    copy = _ticket(owner, Stage.DIAGNOSIS)
    response = engineer_client.post(
        reverse("diagnosis:duplicate", args=[copy.number]), {"duplicate_of": original.number}
    )
    assert response.status_code == 403
    assert Ticket.objects.get(pk=copy.pk).stage == Stage.DIAGNOSIS
