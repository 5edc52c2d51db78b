"""Shapes of the API's requests and answers, as its OpenAPI document describes them."""

from datetime import datetime
from typing import Any

from ninja import Schema
from pydantic import Field


class ErrorOut(Schema):
    detail: str
    errors: dict[str, list[str]] = Field(default_factory=dict)


class PersonOut(Schema):
    id: int
    username: str
    display_name: str


class CustomerRef(Schema):
    id: int
    name: str


class TicketOut(Schema):
    number: str
    customer: CustomerRef
    contact: str
    contact_details: str
    contact_details_masked: bool
    source: str
    occurred_at: datetime
    description: str
    error_message: str
    problem_type: str
    impact_scope: str
    users_affected: int | None
    frequency: str
    business_urgency: str
    peak_time: bool
    priority: str
    suggested_priority: str
    priority_override_reason: str
    preliminary_judgement: str
    judgement_unverified: bool
    stage: str
    sla_state: str
    sla_due_at: datetime | None
    owner: PersonOut | None
    recorded_by: PersonOut | None
    recorded_at: datetime
    updated_at: datetime
    url: str


class TicketPageOut(Schema):
    results: list[TicketOut]
    next_cursor: str | None = Field(description="Pass as cursor= for the next page; null on the last page.")


class TicketIn(Schema):
    """The intake form's fields (diagnosis.forms.IntakeForm validates them, as on the page)."""

    customer_name: str
    customer_tier: str = ""
    contact_name: str
    contact_details: str = ""
    source: str
    occurred_at: str = Field(description="YYYY-MM-DD HH:MM or ISO 8601, local time; not in the future")
    description: str
    error_message: str = ""
    problem_type: str = ""
    impact_scope: str
    users_affected: int | None = None
    frequency: str = ""
    business_urgency: str
    peak_time: bool = False
    priority: str = ""
    priority_override_reason: str = ""
    preliminary_judgement: str = ""
    judgement_unverified: bool = False
    owner: str = Field("", description="Username; empty: routing decides, as on the intake page")


class TicketPatch(Schema):
    """The fields the edit page allows; omitted fields keep their values."""

    contact_details: str | None = None
    source: str | None = None
    occurred_at: str | None = None
    error_message: str | None = None
    problem_type: str | None = None
    impact_scope: str | None = None
    users_affected: int | None = None
    frequency: str | None = None
    business_urgency: str | None = None
    peak_time: bool | None = None
    priority: str | None = None
    priority_override_reason: str | None = None
    preliminary_judgement: str | None = None
    judgement_unverified: bool | None = None
    owner: str | None = Field(None, description="Username")
    reassign_reason: str | None = Field(None, description="Needed when the owner changes")


class StageIn(Schema):
    to_stage: str
    reason: str
    back: bool = Field(False, description="Going back to an earlier stage is a deliberate choice")
    resolution: str = ""


class MessageIn(Schema):
    body: str


class MessageOut(Schema):
    id: int
    kind: str
    channel: str
    body: str
    created_at: datetime
    author: PersonOut | None


class AttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: datetime | None
    download_url: str


class CustomerOut(Schema):
    id: int
    name: str
    tier: str
    created_at: datetime


class ContactOut(Schema):
    id: int
    customer_id: int
    name: str
    details: str
    email: str
    masked: bool


class ArticleOut(Schema):
    id: int
    title: str
    type: str
    status: str
    url: str


class SlaOut(Schema):
    target: str
    state: str
    clock: str
    target_minutes: int
    started_at: datetime
    due_at: datetime | None
    met_at: datetime | None
    paused_since: datetime | None


class SlaStateOut(Schema):
    state: str
    due_at: datetime | None
    targets: list[SlaOut]


class RecordsOut(Schema):
    results: list[dict[str, Any]]


class EvaluationOut(Schema):
    verification: dict[str, Any] | None
    results: dict[str, Any]
