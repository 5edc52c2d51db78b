"""{% badge "moscow" item.moscow %}: a chapter's choice as a coloured badge (see toolkit.badges)."""

from django import template

from toolkit import badges

register = template.Library()


@register.simple_tag(name="badge")
def badge_tag(name, value):
    return badges.badge(name, value)
