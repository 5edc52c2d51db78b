"""The customer's report form (the document's step-2 questions), the status page's message box, and the
engineers' revoke form. Forms validate and normalise; portal.services persists."""

import re

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from toolkit.choices import Frequency, ImpactScope
from toolkit.services import truncate_to_minute, validate_occurred_at

PHONE_RE = re.compile(r"^\+?[\d\s()-]{5,30}$")
DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local", "step": 60}, format="%Y-%m-%dT%H:%M")


def max_files() -> int:
    return getattr(settings, "PORTAL_MAX_FILES", 10)


def clean_files(files) -> list:
    if len(files) > max_files():
        raise ValidationError(
            _("At most %(count)d files can be sent at once.") % {"count": max_files()}, code="too_many_files"
        )
    return list(files)


def large_inputs(form) -> None:
    """Phone-sized tap targets: every text input and text area at Bootstrap's large size."""
    for field in form.fields.values():
        if not isinstance(field.widget, forms.RadioSelect | forms.HiddenInput | forms.FileInput):
            field.widget.attrs["class"] = "form-control form-control-lg"


class VerbatimTextField(forms.CharField):
    """Kept exactly as typed (the customer's words are the record), but not only spaces."""

    def __init__(self, **kwargs):
        super().__init__(strip=False, **kwargs)

    def validate(self, value):
        super().validate(value)
        if self.required and not value.strip():
            raise ValidationError(self.error_messages["required"], code="required")

    def to_python(self, value):
        value = super().to_python(value)
        return value if value.strip() else ""


class ReportForm(forms.Form):
    description = VerbatimTextField(
        label=_("What happened?"),
        help_text=_("In your own words, e.g. “cannot log in to the system”, “data export fails”."),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    occurred_at = forms.DateTimeField(
        label=_("Since when?"),
        required=False,
        help_text=_("Date and time, to the minute. Leave empty for “just now”."),
        widget=DATETIME_INPUT,
    )
    impact_scope = forms.ChoiceField(
        label=_("Who is affected?"),
        choices=ImpactScope.choices,
        initial=ImpactScope.ONE_USER,
        widget=forms.RadioSelect,
    )
    users_affected = forms.IntegerField(
        label=_("About how many people?"), required=False, min_value=0, max_value=1_000_000
    )
    error_message = VerbatimTextField(
        label=_("Is there an error message?"),
        help_text=_(
            "Copy it exactly as shown, e.g. “Error500:ConnectionTimeout”. Leave empty if there is none."
        ),
        required=False,
        max_length=500,
    )
    frequency = forms.ChoiceField(
        label=_("How often does it happen?"),
        choices=Frequency.choices,
        initial=Frequency.PERSISTENT,
        widget=forms.RadioSelect,
    )
    contact_name = forms.CharField(label=_("Your name"), max_length=100)
    contact = forms.CharField(
        label=_("Your phone or e-mail"),
        max_length=200,
        help_text=_("So that we can reach you about this problem."),
    )
    # A fresh token per form: the new ticket's status link, and what makes a second submit harmless.
    status_token = forms.CharField(widget=forms.HiddenInput, max_length=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["occurred_at"].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
        self.fields["users_affected"].widget.attrs.update({"inputmode": "numeric", "min": 0})
        # "Phone or e-mail" in one box: autocomplete takes one field name, and e-mail is the likelier.
        self.fields["contact"].widget.attrs.update({"autocomplete": "email"})
        self.fields["contact_name"].widget.attrs.update({"autocomplete": "name"})
        large_inputs(self)

    def clean_occurred_at(self):
        value = truncate_to_minute(self.cleaned_data.get("occurred_at"))
        validate_occurred_at(value)
        return value

    def clean_contact(self):
        value = self.cleaned_data["contact"].strip()
        try:
            validate_email(value)
        except ValidationError:
            if not PHONE_RE.match(value) or sum(c.isdigit() for c in value) < 5:
                raise ValidationError(
                    _("Give a phone number or an e-mail address."), code="contact"
                ) from None
        return value

    def clean_contact_name(self):
        return self.cleaned_data["contact_name"].strip()


class StatusMessageForm(forms.Form):
    body = VerbatimTextField(
        label=_("Add information"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Anything new about the problem. The service team sees it at once."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        large_inputs(self)


class RevokeForm(forms.Form):
    reason = forms.CharField(label=_("Reason for revoking"), max_length=500)
