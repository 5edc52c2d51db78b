"""Reads of the API: tickets as the table filters them, one cursor page at a time, and every record
as the person asking may see it — contact data masked through toolkit.privacy, as on the pages."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.db import models
from django.db.models import F, OrderBy, Q, QuerySet
from django.urls import get_script_prefix, reverse

from diagnosis.filters import DEFAULT_SORT, SORTS, TicketFilter
from toolkit.models import Contact, Customer, Ticket
from toolkit.privacy import (
    can_see_contact_details,
    free_text_for,
    mask_contact_details,
    mask_person_name,
)

from .models import ApiToken

PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


class BadCursor(ValueError):
    """A cursor this API did not write, or one written for another sort."""


def tokens_of(user) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")


# ---------------------------------------------------------------- the ticket list


def ticket_filter(*, data, request=None) -> TicketFilter:
    """The table's FilterSet over the table's queryset: the same query string gives the same tickets."""
    kwargs: dict[str, Any] = {"data": data, "queryset": Ticket.objects.with_list_relations()}
    if request is not None:
        kwargs["request"] = request  # owner=me is the signed-in (here: the token's) user
    return TicketFilter(**kwargs)


@dataclass(frozen=True)
class _Key:
    path: str  # ORM path, e.g. "recorded_at", "customer__name"
    descending: bool
    nullable: bool


def _sort_keys(sort: str) -> list[_Key]:
    keys = []
    for term in SORTS[sort]:
        if isinstance(term, OrderBy):
            expression = term.expression
            assert isinstance(expression, F)  # the table's nullable sorts order by a column
            keys.append(_Key(expression.name, term.descending, True))  # type: ignore[attr-defined]
        else:
            keys.append(_Key(term.lstrip("-"), term.startswith("-"), False))
    if keys[-1].path != "id" and keys[-1].path != "number":
        # The tiebreak that makes every position unique (the table's sorts end with it, or with number).
        keys.append(_Key("id", keys[-1].descending, False))
    return keys


def _order(keys: list[_Key]) -> list[Any]:
    return [
        (F(key.path).desc(nulls_last=True) if key.descending else F(key.path).asc(nulls_last=True))
        if key.nullable
        else (f"-{key.path}" if key.descending else key.path)
        for key in keys
    ]


def _value_of(ticket: Ticket, path: str):
    value: Any = ticket
    for part in path.split("__"):
        value = getattr(value, part)
    return value


def _encode(value) -> Any:
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    return value


def _field(path: str) -> models.Field:
    model: Any = Ticket
    parts = path.split("__")
    for part in parts[:-1]:
        model = model._meta.get_field(part).related_model
    return model._meta.get_field(parts[-1])


def _decode(value, path: str):
    """A cursor value back to its column's type; anything else is a cursor we did not write."""
    field = _field(path)
    if value is None:
        if not field.null:
            raise BadCursor
        return None
    if isinstance(field, models.DateTimeField):
        try:
            parsed = datetime.fromisoformat(value["t"])
        except (KeyError, TypeError, ValueError) as error:
            raise BadCursor from error
        if parsed.tzinfo is None:
            raise BadCursor
        return parsed
    if isinstance(field, (models.AutoField, models.BigAutoField, models.IntegerField)):
        if not isinstance(value, int) or isinstance(value, bool) or abs(value) > 2**62:
            raise BadCursor
        return value
    if not isinstance(value, str) or "\x00" in value:
        raise BadCursor
    return value


def cursor_encode(sort: str, ticket: Ticket) -> str:
    values = [_encode(_value_of(ticket, key.path)) for key in _sort_keys(sort)]
    raw = json.dumps({"s": sort, "v": values}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor_decode(sort: str, cursor: str) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError) as error:
        raise BadCursor from error
    keys = _sort_keys(sort)
    if not isinstance(data, dict) or data.get("s") != sort or not isinstance(data.get("v"), list):
        raise BadCursor
    if len(data["v"]) != len(keys):
        raise BadCursor
    return [_decode(value, key.path) for value, key in zip(data["v"], keys, strict=True)]


def _after(keys: list[_Key], values: list[Any]) -> Q:
    """Rows after the position ``values`` in the order ``keys`` (NULLs last in either direction)."""
    condition = Q(pk__in=[])
    equal = Q()
    for key, value in zip(keys, values, strict=True):
        if value is None:
            beyond = Q(pk__in=[])  # nothing comes after NULL: NULLs are last
            same = Q(**{f"{key.path}__isnull": True})
        else:
            beyond = Q(**{f"{key.path}__{'lt' if key.descending else 'gt'}": value})
            if key.nullable:
                beyond |= Q(**{f"{key.path}__isnull": True})
            same = Q(**{key.path: value})
        condition |= equal & beyond
        equal &= same
    first, first_value = keys[0], values[0]
    if not first.nullable and first_value is not None:
        # A plain range on the first key as well, so the index on the sort serves the page.
        condition &= Q(**{f"{first.path}__{'lte' if first.descending else 'gte'}": first_value})
    return condition


@dataclass
class TicketPage:
    tickets: list[Ticket]
    next_cursor: str | None


def ticket_page(filterset: TicketFilter, *, cursor: str = "", limit: int = PAGE_SIZE) -> TicketPage:
    """One page of the filtered tickets after ``cursor`` (keyset: stable while tickets are added)."""
    sort = filterset.form.cleaned_data.get("sort") or DEFAULT_SORT
    keys = _sort_keys(sort)
    queryset = filterset.qs.order_by(*_order(keys))
    if cursor:
        queryset = queryset.filter(_after(keys, cursor_decode(sort, cursor)))
    rows = list(queryset[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return TicketPage(rows, cursor_encode(sort, rows[-1]) if more and rows else None)


# ---------------------------------------------------------------- records as the viewer may see them


def _person(user) -> dict | None:
    if user is None:
        return None
    return {"id": user.pk, "username": user.username, "display_name": user.display_name}


@lru_cache(maxsize=8)
def _detail_url_pattern(script_prefix: str) -> str:
    return reverse("diagnosis:detail", kwargs={"number": "__number__"})


def _detail_url(number: str) -> str:
    """The ticket page's address without a reverse() per row (a fifth of a 50-row page's time)."""
    return _detail_url_pattern(get_script_prefix()).replace("__number__", number)


def ticket_data(ticket: Ticket, viewer) -> dict:
    """A ticket as ``viewer`` may read it: the same masking as the table and the ticket page."""
    visible = can_see_contact_details(viewer, ticket)

    def text(value):
        return free_text_for(viewer, ticket, value or "")

    return {
        "number": ticket.number,
        "customer": {"id": ticket.customer_id, "name": ticket.customer.name},
        "contact": ticket.contact.name if visible else mask_person_name(ticket.contact.name),
        "contact_details": (
            ticket.contact_details if visible else mask_contact_details(ticket.contact_details)
        ),
        "contact_details_masked": not visible,
        "source": ticket.source,
        "occurred_at": ticket.occurred_at,
        "description": text(ticket.description),
        "error_message": text(ticket.error_message),
        "problem_type": ticket.problem_type,
        "impact_scope": ticket.impact_scope,
        "users_affected": ticket.users_affected,
        "frequency": ticket.frequency,
        "business_urgency": ticket.business_urgency,
        "peak_time": ticket.peak_time,
        "priority": ticket.priority,
        "suggested_priority": ticket.suggested_priority,
        "priority_override_reason": text(ticket.priority_override_reason),
        "preliminary_judgement": text(ticket.preliminary_judgement),
        "judgement_unverified": ticket.judgement_unverified,
        "stage": ticket.stage,
        "sla_state": ticket.sla_state,
        "sla_due_at": ticket.sla_due_at,
        "owner": _person(ticket.owner),
        "recorded_by": _person(ticket.recorded_by),
        "recorded_at": ticket.recorded_at,
        "updated_at": ticket.updated_at,
        "url": _detail_url(ticket.number),
    }


def ticket_for_api(number: str) -> Ticket:
    """The ticket with what its record shows, in one query; Ticket.DoesNotExist when there is none."""
    return Ticket.objects.with_list_relations().get(number=number)


def customer_data(customer: Customer) -> dict:
    return {
        "id": customer.pk,
        "name": customer.name,
        "tier": customer.tier,
        "created_at": customer.created_at,
    }


def customers(*, q: str = "") -> QuerySet[Customer]:
    queryset = Customer.objects.filter(unmatched=False).order_by("name", "id")
    q = q.strip()
    return queryset.filter(name__icontains=q) if q else queryset


def contact_data(contact: Contact, viewer) -> dict:
    """A contact on its own: only the contact-details permission shows it (toolkit.privacy)."""
    visible = can_see_contact_details(viewer)
    return {
        "id": contact.pk,
        "customer_id": contact.customer_id,
        "name": contact.name if visible else mask_person_name(contact.name),
        "details": contact.details if visible else mask_contact_details(contact.details),
        "email": contact.email if visible else mask_contact_details(contact.email),
        "masked": not visible,
    }


def contacts_of(customer: Customer) -> QuerySet[Contact]:
    return Contact.objects.filter(customer=customer).order_by("name", "id")


def sla_data(ticket: Ticket) -> list[dict]:
    from diagnosis.selectors import ticket_slas

    return [
        {
            "target": sla.target,
            "state": sla.state,
            "clock": sla.clock,
            "target_minutes": sla.target_minutes,
            "started_at": sla.started_at,
            "due_at": sla.due_at,
            "met_at": sla.met_at,
            "paused_since": sla.paused_since,
        }
        for sla in ticket_slas(ticket)
    ]


def _plain(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def record_data(obj: models.Model, viewer, ticket: Ticket, *, exclude=("ticket",)) -> dict:
    """A chapter's record, field by field; free text as the viewer may read it (phones, e-mails)."""
    data: dict[str, Any] = {"id": obj.pk}
    for field in obj._meta.concrete_fields:
        if field.name in exclude or field.primary_key:
            continue
        if field.is_relation:
            data[f"{field.name}_id"] = getattr(obj, field.attname)
            continue
        value = getattr(obj, field.attname)
        if isinstance(value, str) and not field.choices:
            value = free_text_for(viewer, ticket, value)
        data[field.name] = _plain(value)
    return data
