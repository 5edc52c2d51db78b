"""Template side of toolkit.privacy: contact data of a ticket as the viewing user may see it."""

from django import template

from toolkit.privacy import free_text_for

register = template.Library()


@register.simple_tag(takes_context=True)
def private_text(context, ticket, text):
    """Free text of `ticket` (description, error, judgement, notes…) with phones and e-mails masked
    unless the viewer may see the ticket's contact details. Use `… as name` to truncate afterwards."""
    # No request (a text rendered for nobody in particular): masked.
    return free_text_for(getattr(context.get("request"), "user", None), ticket, text or "")
