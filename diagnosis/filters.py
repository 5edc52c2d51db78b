"""The diagnosis table's filters: the query-string contract of SPEC ("Table filters")."""

import re
from datetime import timedelta

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import F, Q
from django.forms.models import ModelChoiceIterator
from django.utils.translation import gettext_lazy as _

from toolkit import chapters
from toolkit.choices import Priority, ProblemType, SlaState, Source, Stage
from toolkit.forms import FastSelect
from toolkit.models import Customer, Ticket
from toolkit.periods import local_midnight

OPEN = "open"
# owner=me: the signed-in user on the page and in the API, the requester in an export job.
ME = "me"
# q= that could be (part of) a ticket number, e.g. "TS-20260312" or "0312-007": also matched on the number.
TICKET_NUMBER_PART = re.compile(r"[A-Za-z]*-?[0-9][0-9-]*")

# sort= value → ORDER BY; the id tiebreak keeps paging stable.
SORTS = {
    "recorded_at": ("recorded_at", "id"),
    "-recorded_at": ("-recorded_at", "-id"),
    "occurred_at": ("occurred_at", "id"),
    "-occurred_at": ("-occurred_at", "-id"),
    "priority": ("priority", "-recorded_at", "-id"),
    "-priority": ("-priority", "-recorded_at", "-id"),
    "number": ("number",),
    "-number": ("-number",),
    "customer": ("customer__name", "-recorded_at", "-id"),
    "-customer": ("-customer__name", "-recorded_at", "-id"),
    # Time left on the SLA: tickets without a running due time (no SLA, met, on hold, closed) go last
    # either way; spelled out because SQLite and PostgreSQL put NULLs at opposite ends by default.
    "sla_due": (F("sla_due_at").asc(nulls_last=True), "id"),
    "-sla_due": (F("sla_due_at").desc(nulls_last=True), "-id"),
}
DEFAULT_SORT = "-recorded_at"


class TicketFilterForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        after, before = cleaned.get("occurred_after"), cleaned.get("occurred_before")
        if after and before and after > before:
            self.add_error(
                "occurred_before", _("“Occurred before” must not be earlier than “occurred after”.")
            )
        return cleaned


class _OwnerChoices(ModelChoiceIterator):
    """The owner select's options: "All", then "Me", then every user."""

    def __iter__(self):
        choices = super().__iter__()
        if self.field.empty_label is not None:
            yield next(choices)
        yield (ME, _("Me"))
        yield from choices

    def __len__(self):
        return super().__len__() + 1


class OwnerField(forms.ModelChoiceField):
    """A user id, or the literal ``me`` for ``self.me`` (the signed-in user, or an export job's requester)."""

    iterator = _OwnerChoices
    me = None

    def to_python(self, value):
        if value == ME:
            if self.me is None or not self.me.is_authenticated:
                raise ValidationError(_("“me” is only understood for a signed-in user."), code="no_user")
            return self.me
        return super().to_python(value)


class OwnerFilter(django_filters.ModelChoiceFilter):
    field_class = OwnerField


class TicketFilter(django_filters.FilterSet):
    # distinct=False: no joins are involved, and DISTINCT would make the page count scan every column.
    priority = django_filters.MultipleChoiceFilter(
        label=_("Priority"), choices=Priority.choices, distinct=False
    )
    problem_type = django_filters.MultipleChoiceFilter(
        label=_("Type"), choices=ProblemType.choices, distinct=False
    )
    source = django_filters.ChoiceFilter(label=_("Source"), choices=Source.choices, empty_label=_("All"))
    stage = django_filters.ChoiceFilter(
        label=_("Stage"),
        choices=[(OPEN, _("All open")), *Stage.choices],
        method="filter_stage",
        empty_label=_("All"),
    )
    # A user id, or ``me``: the request's user, or ``user=`` when there is no request (an export job).
    owner = OwnerFilter(label=_("Owner"), queryset=get_user_model().objects.all(), empty_label=_("All"))
    customer = django_filters.ModelChoiceFilter(
        label=_("Customer"), queryset=Customer.objects.all(), empty_label=_("All")
    )
    occurred_after = django_filters.DateFilter(
        label=_("Occurred on or after"), method="filter_occurred_after"
    )
    occurred_before = django_filters.DateFilter(
        label=_("Occurred on or before"), method="filter_occurred_before"
    )
    sla = django_filters.ChoiceFilter(
        label=_("SLA"), field_name="sla_state", choices=SlaState.choices, empty_label=_("All")
    )
    q = django_filters.CharFilter(label=_("Search"), method="filter_text", max_length=200)
    sort = django_filters.ChoiceFilter(
        label=_("Sort"),
        method="filter_sort",
        empty_label=_("Default order"),
        choices=[
            ("-recorded_at", _("Newest recorded first")),
            ("recorded_at", _("Oldest recorded first")),
            ("-occurred_at", _("Latest occurred first")),
            ("occurred_at", _("Earliest occurred first")),
            ("priority", _("Most urgent first")),
            ("-priority", _("Least urgent first")),
            ("number", _("Ticket no. ascending")),
            ("-number", _("Ticket no. descending")),
            ("customer", _("Customer A–Z")),
            ("-customer", _("Customer Z–A")),
            ("sla_due", _("SLA time left (least first)")),
            ("-sla_due", _("SLA time left (most first)")),
        ],
    )

    class Meta:
        model = Ticket
        fields = []
        form = TicketFilterForm

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.form.fields["owner"].me = user if user is not None else getattr(self.request, "user", None)
        for name in ("source", "stage", "owner", "customer", "sla", "sort"):
            field = self.form.fields[name]
            field.widget = FastSelect(attrs={"class": "form-select form-select-sm"}, choices=field.choices)
        self.form.fields["owner"].label_from_instance = lambda user: user.display_name

    def filter_stage(self, queryset, name, value):
        if value == OPEN:
            return queryset.open()
        return queryset.filter(stage=value)

    def filter_occurred_after(self, queryset, name, value):
        # A range on the raw column, so the occurred_at index serves it (no per-row date()).
        return queryset.filter(occurred_at__gte=local_midnight(value))

    def filter_occurred_before(self, queryset, name, value):
        return queryset.filter(occurred_at__lt=local_midnight(value + timedelta(days=1)))

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        # Customers first, as ids (a few hundred rows): an OR with a subquery would make PostgreSQL
        # read every ticket instead of probing the search documents along the table's order.
        customer_ids = list(Customer.objects.filter(name__icontains=value).values_list("pk", flat=True)[:500])
        condition = Q(customer__in=customer_ids) if customer_ids else Q(pk__in=[])
        if TICKET_NUMBER_PART.fullmatch(value):
            condition |= Q(number__icontains=value)
        try:
            text_match = chapters.provided("ticket_text_match")
        except LookupError:  # no search documents (chapter 6 not installed): read every ticket
            condition |= Q(description__icontains=value) | Q(error_message__icontains=value)
        else:
            words = text_match(value)
            if words is not None:
                condition |= words
        return queryset.filter(condition)

    def filter_sort(self, queryset, name, value):
        return queryset.order_by(*SORTS[value])

    @property
    def qs(self):
        queryset = super().qs
        if not (self.is_bound and self.form.cleaned_data.get("sort")):
            queryset = queryset.order_by(*SORTS[DEFAULT_SORT])
        return queryset
