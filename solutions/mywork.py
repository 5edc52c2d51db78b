"""Chapter 3's section of My work (provided as ``mywork_approvals``): submitted designs the user may
decide — those who may approve, and not on designs they worked on (four-eyes). Two queries."""

from django.urls import reverse

from .selectors import designs_awaiting_decision, user_can_approve


def approvals_for(*, user, limit: int) -> dict | None:
    """Designs waiting for `user`'s decision, oldest submission first; None for those who may not approve."""
    if not user_can_approve(user):
        return None
    designs = designs_awaiting_decision(user).filter(authored_by_me=False)
    rows = [
        {
            "title": design.ticket.customer.name,
            "ticket": design.ticket.number,
            "url": reverse("solutions:design", args=[design.ticket.number]),
            "due": design.submitted_at,
            "overdue": False,
            "note": design.submitted_by.display_name if design.submitted_by else "",
        }
        for design in designs[:limit]
    ]
    return {"rows": rows, "total": designs.count(), "url": reverse("solutions:approvals")}
