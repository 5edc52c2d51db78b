from django.db import models
from django.utils.translation import gettext_lazy as _


class Strategy(models.TextChoices):
    ROUND_ROBIN = "round_robin", _("Round robin")
    LEAST_LOADED = "least_loaded", _("Fewest open tickets (weighted by priority)")
