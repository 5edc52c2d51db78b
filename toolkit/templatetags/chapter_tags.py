"""``{% chapter_panel panel %}``: a chapter's card on the ticket page (toolkit.chapters.Panel)."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def chapter_panel(context, panel):
    # Like {% include %}: the page's context (ticket, perms, can_change, …) plus the card's own values,
    # which stay inside the card.
    card = context.template.engine.get_template(panel.template)
    with context.push(panel.context):
        return card.render(context)
