"""Saving a row whose history django-simple-history records: who changed it, and why."""


def save_with_history(obj, *, by, reason: str = ""):
    """Save obj with its history entry attributed to ``by`` (and ``reason``, when one is given)."""
    obj._history_user = by
    if reason:
        obj._change_reason = reason
    obj.save()
    return obj
