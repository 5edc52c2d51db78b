"""Enumerations shared by every chapter. Queries use these, never literal strings."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Stage(models.TextChoices):
    NEW = "new", _("New")
    DIAGNOSIS = "diagnosis", _("Diagnosis")
    ANALYSIS = "analysis", _("Requirement analysis")
    DESIGN = "design", _("Solution design")
    IMPLEMENTATION = "implementation", _("Implementation")
    EVALUATION = "evaluation", _("Evaluation")
    CLOSED = "closed", _("Closed")
    ON_HOLD = "on_hold", _("On hold")
    CANCELLED = "cancelled", _("Cancelled")

    @classmethod
    def open_stages(cls):
        """Stages in which the ticket is still being worked (the SLA clock may run)."""
        return [
            cls.NEW,
            cls.DIAGNOSIS,
            cls.ANALYSIS,
            cls.DESIGN,
            cls.IMPLEMENTATION,
            cls.EVALUATION,
            cls.ON_HOLD,
        ]


# The work sequence; the middle stages are optional, so any later one may follow.
STAGE_SEQUENCE = [
    Stage.NEW,
    Stage.DIAGNOSIS,
    Stage.ANALYSIS,
    Stage.DESIGN,
    Stage.IMPLEMENTATION,
    Stage.EVALUATION,
    Stage.CLOSED,
]


class Priority(models.TextChoices):
    # Codes sort P0 < P1 < P2 < P3, so ordering by the column orders by urgency.
    P0 = "P0", _("P0 Critical")
    P1 = "P1", _("P1 High")
    P2 = "P2", _("P2 Medium")
    P3 = "P3", _("P3 Low")


PRIORITY_HELP = {
    Priority.P0: _("Core business interrupted, many users affected (e.g. payment system down)"),
    Priority.P1: _("Non-core business seriously affected, some users (e.g. order lookup broken)"),
    Priority.P2: _("Minor malfunction with a workaround (e.g. report layout broken)"),
    Priority.P3: _("Experience improvement, no effect on core flows (e.g. button text cut off)"),
}


class Source(models.TextChoices):
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("Email")
    TICKET_SYSTEM = "ticket_system", _("Ticket system")
    ON_SITE = "on_site", _("On-site visit")
    ONLINE_CHAT = "online_chat", _("Online chat")
    OTHER = "other", pgettext_lazy("problem source", "Other")


class ProblemType(models.TextChoices):
    FUNCTIONAL = "functional", _("Functional")
    PERFORMANCE = "performance", _("Performance")
    COMPATIBILITY = "compatibility", _("Compatibility")
    ENVIRONMENT = "environment", _("Environment")


class ImpactScope(models.TextChoices):
    ONE_USER = "one_user", _("One user")
    SOME_USERS = "some_users", _("Some users")
    DEPARTMENT = "department", _("A whole department")
    EVERYONE = "everyone", _("All users")


class Frequency(models.TextChoices):
    INTERMITTENT = "intermittent", _("Intermittent")
    PERSISTENT = "persistent", _("Persistent")


class BusinessUrgency(models.TextChoices):
    LOW = "low", _("Low: can wait")
    MEDIUM = "medium", _("Medium: work slowed")
    HIGH = "high", _("High: work blocked")


class CustomerTier(models.TextChoices):
    STANDARD = "standard", _("Standard")
    PAID = "paid", _("Paying")
    VIP = "vip", _("VIP")


class SlaClock(models.TextChoices):
    ALWAYS = "24x7", _("24×7")
    BUSINESS = "business", _("Business hours")


class SlaTargetKind(models.TextChoices):
    RESPONSE = "response", _("First response")
    RESOLUTION = "resolution", _("Resolution")


class SlaState(models.TextChoices):
    OK = "ok", _("On track")
    AT_RISK = "at_risk", _("At risk")
    BREACHED = "breached", _("Breached")


class NotificationLevel(models.TextChoices):
    """How a bell notification is shown: the SLA levels, and failures an admin must act on."""

    OK = "ok", _("On track")
    AT_RISK = "at_risk", _("At risk")
    BREACHED = "breached", _("Breached")
    FAILURE = "failure", _("Delivery failure")
    # An event someone is told about (toolkit.events): assigned, the customer replied, …
    EVENT = "event", pgettext_lazy("notification level", "Update")


class EventKind(models.TextChoices):
    """What happened, for toolkit.events.notify: each kind has its own text, in the reader's language."""

    ASSIGNED = "assigned", _("Assigned to you")
    REASSIGNED_AWAY = "reassigned_away", _("Reassigned")
    CUSTOMER_REPLIED = "customer_replied", _("Customer replied")
    MENTIONED = "mentioned", _("Mentioned")
    DESIGN_AWAITING_APPROVAL = "design_awaiting_approval", _("Design awaiting approval")
    DESIGN_DECIDED = "design_decided", _("Design decided")
    ARTICLE_AWAITING_REVIEW = "article_awaiting_review", _("Article awaiting review")
    STAGE_CHANGED = "stage_changed", _("Stage changed")


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    WEBHOOK = "webhook", _("Team chat webhook")


class WebhookKind(models.TextChoices):
    WECOM = "wecom", _("WeCom robot")
    DINGTALK = "dingtalk", _("DingTalk robot")
    FEISHU = "feishu", _("Feishu robot")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class ViewSurface(models.TextChoices):
    """Where someone saw a ticket's contact details unmasked (the contact-detail view log)."""

    PAGE = "page", _("Ticket page")
    TABLE = "table", _("Diagnosis table")
    EDIT = "edit", _("Edit form")
    ADMIN = "admin", _("Admin")
