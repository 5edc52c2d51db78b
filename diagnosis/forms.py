"""Forms validate and normalise; toolkit.services persists."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Column, Div, Field, Fieldset, Layout, Row, Submit
from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q, TextChoices
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from attachments.forms import AttachmentsField
from toolkit import permissions, roles
from toolkit.choices import PRIORITY_HELP, CustomerTier, Priority, ProblemType
from toolkit.models import Customer, Ticket
from toolkit.privacy import can_see_contact_details, mask_contact_details, mask_free_text
from toolkit.services import (
    CONTACT_DATA_FIELDS,
    EDITABLE_TICKET_FIELDS,
    truncate_to_minute,
    validate_occurred_at,
    validate_priority_override,
)

from .services import INTAKE_TICKET_FIELDS, remembered_source, suggest_priority, suggest_problem_type

DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local", "step": 60}, format="%Y-%m-%dT%H:%M")


def assignable_users(also_pk=None):
    """People who can own a ticket: anyone active in a service role (plus the current owner, if any)."""
    in_role = Q(is_active=True, groups__name__in=[roles.ENGINEER, roles.MANAGER, roles.ADMIN])
    return (
        get_user_model().objects.filter(in_role | Q(pk=also_pk)).distinct().order_by("job_title", "username")
    )


class OwnerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.display_name


def _priority_help() -> str:
    return " · ".join(f"{p}: {PRIORITY_HELP[p]}" for p in Priority)


# Joined when a form is shown, in that request's language; a class attribute is built once at import.
priority_help = lazy(_priority_help, str)


class TicketFieldsMixin:
    """Checks shared by intake and edit: minute precision, no future time, explained override."""

    def clean_occurred_at(self):
        value = truncate_to_minute(self.cleaned_data["occurred_at"])
        validate_occurred_at(value)
        return value

    def apply_priority_suggestion(self, cleaned, vip: bool):
        if not {"impact_scope", "business_urgency"} <= cleaned.keys():
            return cleaned
        suggestion = suggest_priority(
            impact_scope=cleaned["impact_scope"],
            business_urgency=cleaned["business_urgency"],
            vip=vip,
            peak_time=cleaned.get("peak_time", False),
        )
        cleaned["suggested_priority"] = suggestion.priority
        if not cleaned.get("priority"):
            cleaned["priority"] = suggestion.priority
        if cleaned["priority"] == suggestion.priority:
            cleaned["priority_override_reason"] = ""
        try:
            validate_priority_override(
                priority=cleaned["priority"],
                suggested_priority=suggestion.priority,
                reason=cleaned.get("priority_override_reason", ""),
            )
        except ValidationError as error:
            self.add_error(None, error)
        return cleaned


class IntakeForm(TicketFieldsMixin, forms.ModelForm):
    """The intake (logging a problem). Built for the phone: occurred-at defaults to now, the source to
    the one this person used last, the owner to routing, the type to what the text suggests.

    The REST API validates its POST with this class too: without ``user`` the source has no
    remembered default, and an explicit owner is accepted as it is.
    """

    customer_name = forms.CharField(
        label=_("Customer"),
        max_length=200,
        help_text=_(
            "Type a few characters of the name or its pinyin initials (bjyh → 北京银行) and pick; "
            "a new name creates the customer."
        ),
        # The picker (static/diagnosis/intake.js) makes this an ARIA combobox over the list below it.
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autofocus": True,
                "role": "combobox",
                "aria-autocomplete": "list",
                "aria-expanded": "false",
                "aria-controls": "customer-options",
                "spellcheck": "false",
            }
        ),
    )
    customer_tier = forms.ChoiceField(
        label=_("Importance tier (new customer)"),
        choices=CustomerTier.choices,
        initial=CustomerTier.STANDARD,
        required=False,
        help_text=_("Used only when the customer is new; existing customers keep their tier."),
    )
    contact_name = forms.CharField(
        label=_("Contact"),
        max_length=100,
        help_text=_("Person at the customer, e.g. 王女士."),
        widget=forms.TextInput(attrs={"list": "contact-names", "autocomplete": "off"}),
    )
    owner = OwnerChoiceField(
        label=_("Owner"),
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label=_("Auto (routing)"),
        help_text=_("Auto: the routing rules pick the team and its next member; with no rule, you."),
    )
    problem_type = forms.ChoiceField(
        label=_("Type"),
        choices=[("", _("Suggested from the text")), *ProblemType.choices],
        required=False,
        help_text=_("Suggested from the description and error message until you choose one."),
    )
    priority = forms.ChoiceField(
        label=_("Priority"),
        choices=[("", _("Use the suggestion")), *Priority.choices],
        required=False,
        help_text=priority_help(),
    )

    class Meta:
        model = Ticket
        fields = [*INTAKE_TICKET_FIELDS, "owner"]
        widgets = {
            "occurred_at": DATETIME_INPUT,
            "description": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = assignable_users()
        self.fields["occurred_at"].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
        self.fields["users_affected"].widget.attrs["min"] = 0
        if not self.is_bound:
            # Now, to the minute in the local time zone (the widget shows it so); still checked on save.
            self.initial.setdefault("occurred_at", truncate_to_minute(timezone.localtime()))
            if user is not None:
                self.initial.setdefault("source", remembered_source(user))
        live = {
            "hx-get": reverse_lazy("diagnosis:suggest_priority"),
            "hx-trigger": "change",
            "hx-target": "#priority-suggestion",
            "hx-include": "#intake-form",
        }
        for name in ("impact_scope", "business_urgency", "peak_time", "customer_tier"):
            self.fields[name].widget.attrs.update(live)
        self.fields["customer_name"].widget.attrs.update(
            {
                **live,
                "hx-trigger": "change, input changed delay:400ms",
                "data-contacts-url": reverse_lazy("diagnosis:contact_names"),
                "data-search-url": reverse_lazy("diagnosis:customer_search"),
            }
        )
        similar = {
            "hx-get": reverse_lazy("diagnosis:similar"),
            "hx-trigger": "input changed delay:500ms, change",
            "hx-target": "#similar-tickets",
            "hx-include": "#intake-form",
        }
        self.fields["description"].widget.attrs.update(similar)
        self.fields["error_message"].widget.attrs.update(similar)
        # The suggestions (type, impact, route) follow the text too: #intake-assist in the template
        # listens for these fields' events, since one element carries one hx-get.
        self.helper = FormHelper()
        self.helper.form_id = "intake-form"
        self.helper.form_tag = True
        self.helper.attrs = {
            "novalidate": "",
            "data-discard-question": _("Discard what you typed and start a new, empty form?"),
        }
        self.helper.layout = Layout(
            Fieldset(
                _("1. Source and customer"),
                Row(Column("customer_name"), Column("customer_tier")),
                Row(Column("contact_name"), Column("contact_details")),
                Row(Column("source"), Column("occurred_at")),
            ),
            Fieldset(
                _("2. Symptom and impact"),
                "description",
                "error_message",
                Row(Column("impact_scope"), Column("users_affected"), Column("frequency")),
            ),
            Fieldset(
                _("3. Type and priority"),
                Row(
                    Column("problem_type"),
                    Column("business_urgency"),
                    Column(Field("peak_time"), css_class="d-flex align-items-end"),
                ),
                HTML(
                    '<div id="priority-suggestion" aria-live="polite">'
                    '{% include "diagnosis/_priority_suggestion.html" %}</div>'
                ),
                Row(Column("priority"), Column("priority_override_reason")),
            ),
            Fieldset(
                _("4. Preliminary judgement and owner"),
                "preliminary_judgement",
                "judgement_unverified",
                "owner",
                # The live suggestions: the type and impact from the text (static/diagnosis/intake.js
                # applies them to fields not chosen by hand) and where routing would send the ticket.
                HTML(
                    '<div id="intake-assist" class="small mb-3" aria-live="polite" '
                    'hx-get="{% url \'diagnosis:intake_assist\' %}" hx-include="#intake-form" '
                    'hx-sync="this:replace" hx-trigger="'
                    "input changed delay:400ms from:#id_description, "
                    "input changed delay:400ms from:#id_error_message, change from:#id_source, "
                    "change from:#id_problem_type, change from:#id_customer_name"
                    '">{% include "diagnosis/_intake_assist.html" %}</div>'
                ),
            ),
            Div(
                Submit("save", _("Log ticket"), aria_keyshortcuts="Control+Enter Meta+Enter"),
                HTML('{% include "diagnosis/_intake_shortcuts.html" %}'),
                css_class="mt-3 d-flex flex-wrap align-items-center gap-3",
            ),
        )

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("problem_type"):
            # Not chosen (no JavaScript, or an API client): what the text suggests, as the form showed.
            cleaned["problem_type"] = suggest_problem_type(
                description=cleaned.get("description", ""), error_message=cleaned.get("error_message", "")
            )
        name = cleaned.get("customer_name", "").strip()
        customer = Customer.objects.filter(name=name).first() if name else None
        cleaned["existing_customer"] = customer
        vip = customer.raises_priority if customer else cleaned.get("customer_tier") == CustomerTier.VIP
        return self.apply_priority_suggestion(cleaned, vip)


class TicketEditForm(TicketFieldsMixin, forms.ModelForm):
    """Edit after intake. The customer's description is not here: it is kept verbatim."""

    owner = OwnerChoiceField(label=_("Owner"), queryset=get_user_model().objects.none())
    # 转派 needs a reason (toolkit.services.ticket_update), kept in the history and told to both owners.
    reassign_reason = forms.CharField(
        label=_("Reason for reassigning"),
        max_length=500,
        required=False,
        help_text=_("Needed when you change the owner; both the new and the previous owner are told."),
    )

    class Meta:
        model = Ticket
        fields = [f for f in EDITABLE_TICKET_FIELDS if f != "suggested_priority"]
        widgets = {"occurred_at": DATETIME_INPUT}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._limit_owner(user)
        self.fields["occurred_at"].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
        self.fields["priority"].help_text = priority_help()
        if user is None or not can_see_contact_details(user, self.instance):
            self._mask_contact_details()
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", _("Save changes")))

    def _limit_owner(self, user):
        """Offer only the owners `user` may set (toolkit.permissions); anyone else sees the owner fixed."""
        ticket, field = self.instance, self.fields["owner"]
        if user is None or permissions.can_reassign(user, ticket):
            field.queryset = assignable_users(also_pk=ticket.owner_id)
        elif ticket.owner_id is None and permissions.can_assign(user, ticket, user):
            field.queryset = get_user_model().objects.filter(pk=user.pk)
        else:
            field.queryset = get_user_model().objects.filter(pk=ticket.owner_id)
            field.disabled = True
            field.help_text = _("Only the owner or a manager can hand this ticket to someone else.")

    def _mask_contact_details(self):
        """For someone who may not see them: no real value in the page, no field to overwrite it blind.

        The contact details, and free text holding a phone number or e-mail address, become masked
        disabled copies under another name, which the ModelForm never writes to the ticket.
        """
        masked = {"contact_details": mask_contact_details(self.instance.contact_details)}
        for name in CONTACT_DATA_FIELDS:
            value = getattr(self.instance, name)
            if name not in masked and mask_free_text(value) != value:
                masked[name] = mask_free_text(value)
        items = []
        for name, field in self.fields.items():
            if name in masked:
                name, field = (
                    f"{name}_masked",
                    forms.CharField(
                        label=field.label,
                        required=False,
                        disabled=True,
                        initial=masked[name],
                        help_text=_(
                            "Masked: only those who may see the customer's contact details change it."
                        ),
                    ),
                )
            items.append((name, field))
        self.fields = dict(items)
        self.kept_values = {name: getattr(self.instance, name) for name in masked}

    def clean(self):
        cleaned = super().clean()
        owner = cleaned.get("owner")
        if (
            owner is not None
            and owner.pk != self.instance.owner_id
            and not cleaned.get("reassign_reason", "").strip()
        ):
            self.add_error("reassign_reason", _("Say why the ticket is reassigned."))
        if "priority_override_reason" in getattr(self, "kept_values", {}):
            # A masked reason still explains the override; it is only shown masked.
            cleaned["priority_override_reason"] = self.kept_values["priority_override_reason"]
        return self.apply_priority_suggestion(cleaned, self.instance.customer.raises_priority)


class ClarificationForm(forms.Form):
    text = forms.CharField(
        label=_("Add a clarification"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("The original description stays as the customer gave it; this is added beside it."),
    )
    # Screenshots and logs that go with it (attachments app: type and size checked by attachments_add).
    files = AttachmentsField()

    def __init__(self, *args, ticket, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_action = reverse_lazy("diagnosis:clarify", kwargs={"number": ticket.number})
        self.helper.add_input(Submit("add", _("Add")))


class LinkParentForm(forms.Form):
    parent_number = forms.CharField(
        label=_("Parent incident (ticket no.)"),
        max_length=32,
        required=False,
        help_text=_("Leave empty to remove the ticket from its incident."),
    )

    def __init__(self, *args, ticket, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_action = reverse_lazy("diagnosis:link", kwargs={"number": ticket.number})
        self.helper.add_input(Submit("link", _("Link")))

    def clean_parent_number(self):
        number = self.cleaned_data["parent_number"].strip()
        if not number:
            return None
        try:
            return Ticket.objects.get(number=number)
        except Ticket.DoesNotExist:
            raise ValidationError(_("No ticket has the number %(number)s.") % {"number": number}) from None


class SavedFilterForm(forms.Form):
    name = forms.CharField(label=_("Name of this view"), max_length=80)
    query_string = forms.CharField(widget=forms.HiddenInput, required=False, max_length=2000)


class RowsAre(TextChoices):
    """How the importer says rows without a stage cell should be treated (diagnosis.imports)."""

    AUTO = "auto", _("Decide per row: closed history if recorded long ago, open otherwise")
    OPEN = "open", _("Open tickets: their SLA clocks run from the recorded time")
    HISTORY = "history", _("Closed history: saved closed, no SLA reminders")


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Excel file (.xlsx)"),
        help_text=_(
            "The layout of the exported diagnosis table: title row, header row, then one ticket per row."
        ),
    )
    rows_are = forms.ChoiceField(
        label=_("The rows are"),
        choices=RowsAre.choices,
        initial=RowsAre.AUTO,
        widget=forms.RadioSelect,
        help_text=_(
            "Closed history is saved closed with its SLA targets met, so past records never ring reminders. "
            "“Long ago” is longer than the longest SLA resolution time. A Stage column, if the file has "
            "one, decides for its rows."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("import", _("Import")))
