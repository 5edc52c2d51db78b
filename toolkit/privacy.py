"""Masking of customer contact data for users without the contact-details permission.

One place decides both who may see contact details and what the masked form looks like,
so pages and exports cannot disagree.
"""

import re

CONTACT_DETAILS_PERMISSION = "toolkit.view_contact_details"

_EMAIL = re.compile(r"^(?P<local>[^@\s]+)@(?P<domain>\S+)$")
_CJK = re.compile(r"[\u3400-\u9fff]")


def can_see_contact_details(user, ticket) -> bool:
    """Users with the permission see everything; an engineer also sees the tickets they work on."""
    if user.has_perm(CONTACT_DETAILS_PERMISSION):
        return True
    return user.pk is not None and user.pk in (ticket.owner_id, ticket.recorded_by_id)


def mask_contact_details(value: str) -> str:
    """13856785678 → 138****5678; alice@example.com → a****@example.com; short values → ****."""
    value = (value or "").strip()
    if not value:
        return ""
    email = _EMAIL.match(value)
    if email:
        return f"{email['local'][0]}****@{email['domain']}"
    if len(value) >= 11:
        return f"{value[:3]}****{value[-4:]}"
    if len(value) >= 7:
        return f"{value[:3]}****{value[-2:]}"
    return "****"


def mask_person_name(value: str) -> str:
    """王女士 → *女士 (the surname goes); Alice Smith → A****."""
    value = (value or "").strip()
    if not value:
        return ""
    if _CJK.match(value) or value.startswith("*"):
        return "*" + value[1:]
    return value[0] + "****"
