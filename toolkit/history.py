"""Saving a row whose history django-simple-history records: who changed it, and why."""


def save_with_history(obj, *, by, reason: str = "", update_fields=None):
    """Save obj with its history entry attributed to ``by`` (and ``reason``, when one is given)."""
    _attribute(obj, by, reason)
    obj.save(update_fields=update_fields)
    return obj


def delete_with_history(obj, *, by, reason: str = "") -> None:
    """Delete obj with its history's deletion entry attributed to ``by`` (and ``reason``)."""
    _attribute(obj, by, reason)
    obj.delete()


def _attribute(obj, by, reason: str) -> None:
    # django-simple-history reads these two instance attributes when it writes the history row.
    obj._history_user = by
    if reason:
        obj._change_reason = reason


# A write made through the REST API starts its history reason (and a stage change's reason) with this
# mark (api.history adds it); the ticket page shows such an entry as made "via API by <user>".
VIA_API_MARK = "[API]"


def made_via_api(reason) -> bool:
    return (reason or "").startswith(VIA_API_MARK)


def without_via_api(reason) -> str:
    """The reason as its author gave it, the mark taken off."""
    reason = reason or ""
    return reason[len(VIA_API_MARK) :].lstrip() if made_via_api(reason) else reason
