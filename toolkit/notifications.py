"""Reminders to people: in-app notifications, email and team chat webhooks. (Being written.)"""


def reminder_fan_out(reminder_id: int) -> list[int]:
    """Notifications and Delivery rows for one reminder (owner; on breach also the owner's manager). Returns Delivery ids."""
    raise NotImplementedError


def delivery_send(delivery_id: int) -> str:
    """Claim one delivery, send it, record the outcome. Returns the delivery's status afterwards."""
    raise NotImplementedError


def deliveries_due(*, now=None, limit=500) -> list[int]:
    """Pending deliveries whose next attempt has come, and claims gone stale (a worker died)."""
    raise NotImplementedError
