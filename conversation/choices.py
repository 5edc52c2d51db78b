"""The conversation's enumerations: what a message is, where it came from, and where its e-mail stands."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class MessageKind(models.TextChoices):
    REPLY = "reply", _("Reply to the customer")
    NOTE = "note", _("Internal note")
    CUSTOMER = "customer", _("From the customer")

    @classmethod
    def public(cls):
        """What the customer sees (status page, e-mail thread): never internal notes."""
        return [cls.REPLY, cls.CUSTOMER]


class MessageChannel(models.TextChoices):
    WEB = "web", pgettext_lazy("message channel", "Web")
    EMAIL = "email", pgettext_lazy("message channel", "E-mail")
    PORTAL = "portal", pgettext_lazy("message channel", "Status page")
    API = "api", pgettext_lazy("message channel", "API")


class EmailStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be e-mailed")
    SENDING = "sending", _("Being e-mailed")
    SENT = "sent", _("E-mailed")
    FAILED = "failed", _("E-mail failed")
    NONE = "none", _("Not e-mailed: no address")
