"""Every write made through the API is recorded as made "via API": while an API request writes, the
history rows django-simple-history makes and the ticket's stage changes get toolkit.history's mark."""

from contextlib import contextmanager
from contextvars import ContextVar

from django.db.models.signals import pre_save
from simple_history.signals import pre_create_historical_record

from toolkit.history import VIA_API_MARK, made_via_api
from toolkit.models import StageChange

_via_api: ContextVar[bool] = ContextVar("api_write", default=False)


@contextmanager
def via_api():
    """Mark the writes made inside the block."""
    token = _via_api.set(True)
    try:
        yield
    finally:
        _via_api.reset(token)


def marked(reason: str | None, max_length: int) -> str:
    reason = (reason or "").strip()
    if made_via_api(reason):
        return reason[:max_length]
    return f"{VIA_API_MARK} {reason}".strip()[:max_length]


def _mark_history(sender, history_instance=None, **kwargs):
    if _via_api.get() and history_instance is not None:
        field = history_instance._meta.get_field("history_change_reason")
        history_instance.history_change_reason = marked(
            history_instance.history_change_reason, field.max_length
        )


def _mark_stage_change(sender, instance=None, raw=False, **kwargs):
    if _via_api.get() and not raw and instance is not None and instance._state.adding:
        instance.reason = marked(instance.reason, StageChange._meta.get_field("reason").max_length)


def connect() -> None:
    pre_create_historical_record.connect(_mark_history, dispatch_uid="api.history.mark")
    pre_save.connect(_mark_stage_change, sender=StageChange, dispatch_uid="api.history.stage_change")
