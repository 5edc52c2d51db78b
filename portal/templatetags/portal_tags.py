"""The portal's template tags: a QR code as inline SVG, a stage in the customer's words."""

from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from toolkit.choices import Stage

register = template.Library()


@register.simple_tag
def qr_svg(url: str, title: str = ""):
    """The URL's QR code as an <svg> element (no script, no style attribute: CSP allows it inline)."""
    import segno  # here: the tag library loads with every page, the QR code is drawn on one

    code = segno.make(url, error="m")
    # segno escapes the title; the rest is its own markup of paths and numbers.
    return mark_safe(code.svg_inline(scale=5, border=4, svgclass="portal-qr", title=title or None))  # noqa: S308


def _stage_texts() -> dict[str, str]:
    return {
        Stage.NEW: _("We have received it and will look at it soon."),
        Stage.DIAGNOSIS: _("An engineer is finding out what causes it."),
        Stage.ANALYSIS: _("We are working out what exactly is needed."),
        Stage.DESIGN: _("We are preparing a solution."),
        Stage.IMPLEMENTATION: _("The solution is being put in place."),
        Stage.EVALUATION: _("We are checking with you that it is solved."),
        Stage.CLOSED: _("Solved and closed. If it comes back, tell us below."),
        Stage.ON_HOLD: _("Waiting: we need something from you, or from someone else, to go on."),
        Stage.CANCELLED: _("Cancelled."),
    }


@register.simple_tag
def stage_explained(stage: str) -> str:
    return _stage_texts().get(stage, "")
