"""What the teams app adds to the places the apps share (toolkit.chapters), registered in apps.py: the
routing other apps call when they create a ticket, the followers the core's notifications add, and
its card on the ticket page (team, followers, reassign)."""

from toolkit import chapters

from . import routing, services


def _panel(ticket, user) -> chapters.Panel:
    from .views import panel_context

    return chapters.Panel("teams/_card.html", panel_context(ticket, user))


def register() -> None:
    chapters.register(
        chapters.Chapter(
            label="teams",
            order=20,
            panel=_panel,
            ticket_relations=["team_link__team"],
            provides={
                "routing_route": routing.route,
                "routing_attach": routing.attach,
                "ticket_team": routing.ticket_team,
                "ticket_followers": services.follower_users,
            },
        )
    )
