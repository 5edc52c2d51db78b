"""Masking of customer contact data for users without the contact-details permission.

One place decides both who may see contact details and what the masked form looks like,
so pages and exports cannot disagree.
"""

import re

CONTACT_DETAILS_PERMISSION = "toolkit.view_contact_details"

_EMAIL = re.compile(r"^(?P<local>[^@\s]+)@(?P<domain>\S+)$")
_CJK = re.compile(r"[\u3400-\u9fff]")
# Phone numbers and e-mail addresses inside free text. Phones: mainland mobiles (optionally +86, with
# spaces or dashes), landlines with their 0-prefixed area code, and any +country number. Dates, times,
# error codes and ticket numbers do not match (no leading 1[3-9]/0 of that length, or no +). Only ASCII
# letters and digits count as "glued on" before a number: Chinese text runs straight into it (请回电1381…).
_IN_TEXT = re.compile(
    r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
    r"|(?<![A-Za-z0-9_+])(?:\+?86[ -]?)?1[3-9]\d[ -]?\d{4}[ -]?\d{4}(?!\d)"
    r"|(?<![A-Za-z0-9_+])0\d{2,3}[ -]?\d{7,8}(?!\d)"
    r"|(?<![A-Za-z0-9_+])\+\d{1,3}[ -]?\d(?:[ -]?\d){6,13}(?!\d)"
)


def can_see_contact_details(user, ticket=None) -> bool:
    """Users with the permission see everything; an engineer also sees the tickets they work on.

    Without a ticket (a contact or customer record on its own) only the permission counts.
    """
    if _has_permission(user):
        return True
    if ticket is None:
        return False
    return user.pk is not None and user.pk in (ticket.owner_id, ticket.recorded_by_id)


def _has_permission(user) -> bool:
    # Asked for every cell of a table (five per row): remembered on the user object, which lives for
    # one request, like Django's own permission cache it stands on.
    known = getattr(user, "_sees_contact_details", None)
    if known is None:
        known = user.has_perm(CONTACT_DETAILS_PERMISSION)
        user._sees_contact_details = known
    return known


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


def mask_free_text(text: str) -> str:
    """Every phone number and e-mail address typed into free text, masked as contact details are."""
    if not text:
        return text or ""
    return _IN_TEXT.sub(lambda match: mask_contact_details(match.group()), text)


def free_text_for(user, ticket, text: str) -> str:
    """Free text of `ticket` as `user` may read it: as typed, or with phones and e-mails masked.

    Without a user (a text going to a group, or nobody in particular) it is always masked.
    """
    return text if user is not None and can_see_contact_details(user, ticket) else mask_free_text(text)
