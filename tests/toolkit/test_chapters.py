"""The chapters meet through toolkit.chapters: the ticket page's cards, the per-ticket results, the
dashboard's figures and the periodic scans come from what each chapter registered in its AppConfig."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from evaluation.selectors import ticket_results
from solutions.models import DesignStatus, SolutionDesign
from tests.factories import TicketFactory
from tests.solutions.factories import SolutionOptionFactory
from toolkit import chapters, tasks
from toolkit.models import Ticket

NOW = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)

CARDS = [
    "conversation",
    "requirements-panel",
    "solutions-panel",
    "tracking-panel",
    "evaluation-panel",
    "knowledge-panel",
]


@pytest.fixture
def registry(monkeypatch):
    """A copy of the registry that a test may change; the real one comes back afterwards."""
    monkeypatch.setattr(chapters, "_registry", dict(chapters._registry))
    return chapters


def _card_positions(html: str) -> list[int]:
    return [html.find(f'id="{card}"') for card in CARDS]


def test_each_chapter_registers_itself_when_the_apps_load():
    assert [chapter.label for chapter in chapters.registered()] == [
        "conversation",
        "diagnosis",
        "requirements_analysis",
        "solutions",
        "tracking",
        "evaluation",
        "knowledge",
        "portal",
        "teams",
        "attachments",
        "jobs",
        "accounts",
        "hooks",
        "api",
    ]


def test_the_registered_scans_are_the_reminders_and_the_housekeeping():
    assert list(chapters.periodic_scans()) == [
        "conversation.services.replies_due_scan",
        "tracking.reminders.overdue_tasks_scan",
        "evaluation.reminders.follow_up_scan",
        "attachments.chapter.orphan_sweep",
        "jobs.services.jobs_housekeeping",
        "accounts.services.purge_sign_in_log",
        "hooks.services.deliveries_due_scan",
        "api.services.idempotent_requests_expire",
    ]


@pytest.mark.django_db
def test_the_ticket_page_shows_the_registered_cards_in_chapter_order(manager_client):
    html = manager_client.get(TicketFactory().get_absolute_url()).content.decode()

    positions = _card_positions(html)
    assert -1 not in positions
    assert positions == sorted(positions)


@pytest.mark.django_db
def test_a_chapter_that_is_not_registered_has_no_card_and_the_page_still_works(manager_client, registry):
    registry.unregister("knowledge")

    response = manager_client.get(TicketFactory().get_absolute_url())

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="knowledge-panel"' not in html
    assert 'id="evaluation-panel"' in html


@pytest.mark.django_db
def test_a_card_is_built_for_the_ticket_and_the_viewer(manager_client, manager, registry):
    knowledge = registry.unregister("knowledge")
    seen = []

    def recording_panel(ticket, user):
        seen.append((ticket.number, user.pk))
        return knowledge.panel(ticket, user)

    registry.register(chapters.Chapter(label="knowledge", order=1, panel=recording_panel))
    ticket = TicketFactory()

    html = manager_client.get(ticket.get_absolute_url()).content.decode()

    assert seen == [(ticket.number, manager.pk)]
    # Order 1 puts the card before chapter 2's.
    assert html.find('id="knowledge-panel"') < html.find('id="requirements-panel"')


def test_the_periodic_task_runs_the_registered_scans(registry):
    calls = []

    def counting_scan(*, now):
        calls.append(now)
        return 2

    for chapter in registry.registered():
        registry.register(chapters.Chapter(label=chapter.label, order=chapter.order))  # no scans
    registry.register(chapters.Chapter(label="extra", order=7, scans=[counting_scan]))

    recorded = tasks.run_periodic_scans(now=NOW)

    assert recorded == {chapters.scan_name(counting_scan): 2}
    assert calls == [NOW]


@pytest.mark.django_db
def test_results_of_an_unregistered_chapter_stay_empty(registry):
    registry.unregister("tracking")
    registry.unregister("solutions")
    registry.unregister("requirements_analysis")

    results = ticket_results(TicketFactory())

    assert (results.hours, results.requirements_total, results.requirements_delivered) == (Decimal(0), 0, 0)


def test_a_provided_name_belongs_to_one_chapter(registry):
    with pytest.raises(ValueError, match="approved_option"):
        registry.register(chapters.Chapter(label="other", order=8, provides={"approved_option": print}))


def test_asking_for_what_no_chapter_provides_is_an_error(registry):
    registry.unregister("evaluation")

    with pytest.raises(LookupError, match="verification_of"):
        chapters.provided("verification_of")


def test_the_cards_relations_are_one_to_one_relations_of_the_ticket():
    paths = chapters.ticket_relations()
    assert {"team_link__team", "verification__verified_by", "solution_design__chosen_option"} <= set(paths)
    for path in paths:
        assert Ticket._meta.get_field(path.split("__")[0]).one_to_one, path


@pytest.mark.django_db
def test_cards_read_their_relations_from_the_ticket_only_when_the_page_loaded_them(
    django_assert_num_queries,
):
    ticket = TicketFactory()
    design = SolutionDesign.objects.create(ticket=ticket)  # Django keeps it on `ticket`, as a draft
    option = SolutionOptionFactory(ticket=ticket)
    SolutionDesign.objects.filter(pk=design.pk).update(status=DesignStatus.APPROVED, chosen_option=option)
    approved_option = chapters.provided("approved_option")

    # Not read by the page: the out-of-date draft kept on the instance is not trusted.
    assert chapters.loaded_relation(ticket, "solution_design") is chapters.NOT_LOADED
    assert approved_option(ticket) == option

    on_page = chapters.relations_loaded(
        Ticket.objects.select_related(*chapters.ticket_relations()).get(pk=ticket.pk)
    )
    with django_assert_num_queries(0):
        assert chapters.loaded_relation(on_page, "solution_design").status == DesignStatus.APPROVED
        assert approved_option(on_page) == option
        assert chapters.loaded_relation(on_page, "team_link") is None  # loaded: it has none
