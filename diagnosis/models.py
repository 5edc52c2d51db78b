from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SavedFilter(models.Model):
    """A manager's named view of the diagnosis table: the query string, minus the page."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="saved_filters",
    )
    name = models.CharField(_("name"), max_length=80)
    query_string = models.CharField(_("filter"), max_length=2000)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("saved filter")
        verbose_name_plural = _("saved filters")
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="savedfilter_unique_name_per_user")
        ]

    def __str__(self):
        return self.name


class CustomerSearchKey(models.Model):
    """How the intake's customer picker finds a customer by typing: its name lower-cased, the pinyin
    initials ("bjyh" for 北京银行) and the full pinyin ("beijingyinhang"), each searched by prefix through
    its own index. Kept in step with the customer by a post_save signal (diagnosis.signals)."""

    customer = models.OneToOneField(
        "toolkit.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="search_key",
    )
    name = models.CharField(_("name, lower case"), max_length=200)
    initials = models.CharField(_("pinyin initials"), max_length=200)
    pinyin = models.CharField(_("pinyin"), max_length=1000)

    class Meta:
        verbose_name = _("customer search key")
        verbose_name_plural = _("customer search keys")
        # Prefix searches (LIKE 'x%'): on PostgreSQL the pattern operator class lets them use the index
        # whatever the database's collation; other databases ignore the operator class.
        indexes = [
            models.Index(fields=["name"], name="custkey_name_idx", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["initials"], name="custkey_initials_idx", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["pinyin"], name="custkey_pinyin_idx", opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self):
        return self.initials


class IntakePreference(models.Model):
    """What the intake form remembers for one engineer: the source they used last."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="intake_preference",
    )
    source = models.CharField(_("last source"), max_length=20, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("intake preference")
        verbose_name_plural = _("intake preferences")

    def __str__(self):
        return self.source
