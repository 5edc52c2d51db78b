"""Coloured badges for a chapter's choices, drawn by one template tag ({% badge "kind" value %}).

Each chapter declares its badges once, in its own template library (which Django imports when the
template engine starts): the choices, a Bootstrap class per value and, optionally, a class and a data-
attribute that tests and scripts find the badge by. The core knows no chapter: it draws what was declared."""

from dataclasses import dataclass, field

from django.db.models import Choices
from django.utils.html import format_html


@dataclass(frozen=True)
class BadgeStyle:
    choices: type[Choices]
    classes: dict = field(default_factory=dict)
    fallback: str = "text-bg-secondary"
    css: str = ""  # an extra class on every badge of this kind
    data: str = ""  # the name of a data- attribute that carries the raw value


_STYLES: dict[str, BadgeStyle] = {}


def badge_style_register(name: str, style: BadgeStyle) -> None:
    # A module imported twice declares the same again: harmless.
    _STYLES[name] = style


def badge_html(*, css: str, label, data: str = "", value=""):
    """The one place a badge's markup is written."""
    if data:
        return format_html('<span class="badge {}" data-{}="{}">{}</span>', css, data, value, label)
    return format_html('<span class="badge {}">{}</span>', css, label)


def badge(name: str, value):
    """The badge of kind ``name`` for ``value``; "" for no value."""
    if value in (None, ""):
        return ""
    style = _STYLES[name]
    css = " ".join(filter(None, [style.classes.get(value, style.fallback), style.css]))
    return badge_html(css=css, label=style.choices(value).label, data=style.data, value=value)
