from django import template

from toolkit.privacy import can_see_contact_details, mask_contact_details, mask_person_name

register = template.Library()


@register.simple_tag(takes_context=True)
def contact_name(context, ticket):
    """The contact's name, masked unless the viewer may see contact details."""
    name = ticket.contact.name
    return name if can_see_contact_details(context["request"].user, ticket) else mask_person_name(name)


@register.simple_tag(takes_context=True)
def contact_details(context, ticket):
    value = ticket.contact_details
    return value if can_see_contact_details(context["request"].user, ticket) else mask_contact_details(value)
