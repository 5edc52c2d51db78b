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
