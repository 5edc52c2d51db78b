"""Forms validate and normalise; evaluation.services persists. Templates render the fields by hand."""

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from toolkit import roles
from toolkit.models import Ticket

from .models import SCORE_MAX, SCORE_MIN, ActionStatus, SurveyDelivery, VerificationMethod

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


def staff_users(also_pk=None):
    """Anyone active in a service role (plus the current one, if any)."""
    in_role = Q(is_active=True, groups__name__in=[roles.ENGINEER, roles.MANAGER, roles.ADMIN])
    return (
        get_user_model().objects.filter(in_role | Q(pk=also_pk)).distinct().order_by("job_title", "username")
    )


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.display_name


class StyledForm(forms.Form):
    """Bootstrap classes on the widgets, and the field rendered by evaluation/_field.html."""

    def __init__(self, *args, **kwargs):
        # Several forms share the page: their element ids must not collide.
        kwargs.setdefault("auto_id", f"id_{type(self).__name__.lower()}_%s")
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select form-select-sm"
            else:
                css = "form-control form-control-sm"
            widget.attrs["class"] = css


def _datetime_field(label, **kwargs):
    return forms.DateTimeField(
        label=label,
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        **kwargs,
    )


def _minute(value):
    return value.replace(second=0, microsecond=0) if value else value


class VerificationForm(StyledForm):
    method = forms.ChoiceField(label=_("verification method"), choices=VerificationMethod.choices)
    verified_at = _datetime_field(_("verified at"))
    note = forms.CharField(
        label=_("note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean_verified_at(self):
        return _minute(self.cleaned_data["verified_at"])


class FollowUpForm(StyledForm):
    due_at = _datetime_field(_("follow-up due"))
    assignee = UserChoiceField(label=_("assignee"), queryset=get_user_model().objects.none())

    def __init__(self, *args, also_pk=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = staff_users(also_pk)

    def clean_due_at(self):
        return _minute(self.cleaned_data["due_at"])


class FollowUpDoneForm(StyledForm):
    outcome = forms.CharField(label=_("outcome"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class RecurrenceForm(StyledForm):
    ticket_number = forms.CharField(label=_("new ticket no."), max_length=32)
    note = forms.CharField(label=_("note"), required=False, max_length=500)

    def clean_ticket_number(self):
        number = self.cleaned_data["ticket_number"].strip().upper()
        ticket = Ticket.objects.filter(number=number).first()
        if ticket is None:
            raise forms.ValidationError(_("No ticket has the number %(number)s.") % {"number": number})
        self.cleaned_data["new_ticket"] = ticket
        return number


class ActionForm(StyledForm):
    description = forms.CharField(
        label=_("improvement action"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    owner = UserChoiceField(label=_("owner"), queryset=get_user_model().objects.none())
    due_date = forms.DateField(
        label=_("due date"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    status = forms.ChoiceField(label=_("status"), choices=ActionStatus.choices, initial=ActionStatus.OPEN)

    def __init__(self, *args, also_pk=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_users(also_pk)


class CloseForm(StyledForm):
    reason = forms.CharField(label=_("reason"), required=False, max_length=500)


class SurveyCreateForm(StyledForm):
    delivery = forms.ChoiceField(label=_("How the link reaches the customer"), choices=SurveyDelivery.choices)
    reason = forms.CharField(label=_("Why the pending link is replaced"), required=False, max_length=500)

    def __init__(self, *args, has_email: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not has_email:
            # Without an email address the link can only be shown once, for sending by chat.
            self.fields["delivery"].choices = [(SurveyDelivery.SHOWN, SurveyDelivery.SHOWN.label)]


class SurveyVoidForm(StyledForm):
    reason = forms.CharField(label=_("Why the link is voided"), max_length=500)


SCORE_CHOICES = [(value, str(value)) for value in range(SCORE_MIN, SCORE_MAX + 1)]


def _score_field(label):
    return forms.TypedChoiceField(
        label=label,
        choices=SCORE_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a score from 1 to 5.")},
    )


class SurveyAnswerForm(forms.Form):
    """The customer's form: company-neutral questions only."""

    response_speed = _score_field(_("Response speed"))
    effectiveness = _score_field(_("Effectiveness of the solution"))
    attitude = _score_field(_("Service attitude"))
    communication = _score_field(_("Communication"))
    overall = _score_field(_("Overall satisfaction"))
    comment = forms.CharField(
        label=_("Anything else you would like to tell us? (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
