"""Forms validate and normalise; evaluation.services persists. Each page form carries its crispy layout
(form_tag off: the template's <form> holds the htmx attributes and the buttons beside the fields)."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from toolkit.forms import UserChoiceField, staff_users
from toolkit.models import Ticket
from toolkit.services import truncate_to_minute

from .models import SCORE_MAX, SCORE_MIN, ActionStatus, SurveyDelivery, VerificationMethod

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class PageForm(forms.Form):
    """A form of the evaluation page, rendered by crispy inside the template's own <form> element.

    ``columns`` maps field names to their column classes for forms laid out in a row."""

    columns: dict = {}

    def __init__(self, *args, **kwargs):
        # Several forms share the page: their element ids must not collide.
        kwargs.setdefault("auto_id", f"id_{type(self).__name__.lower()}_%s")
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        if self.columns:
            self.helper.layout = Layout(*(Column(name, css_class=css) for name, css in self.columns.items()))


def _datetime_field(label, **kwargs):
    return forms.DateTimeField(
        label=label,
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        **kwargs,
    )


class VerificationForm(PageForm):
    method = forms.ChoiceField(label=_("verification method"), choices=VerificationMethod.choices)
    verified_at = _datetime_field(_("verified at"))
    note = forms.CharField(
        label=_("note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper.layout = Layout(
            Row(Column("method", css_class="col-sm-6"), Column("verified_at", css_class="col-sm-6")), "note"
        )

    def clean_verified_at(self):
        return truncate_to_minute(self.cleaned_data["verified_at"])


class FollowUpForm(PageForm):
    columns = {"due_at": "col-sm-5", "assignee": "col-sm-4"}
    due_at = _datetime_field(_("follow-up due"))
    assignee = UserChoiceField(label=_("assignee"), queryset=get_user_model().objects.none())

    def __init__(self, *args, also_pk=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = staff_users(also_pk)

    def clean_due_at(self):
        return truncate_to_minute(self.cleaned_data["due_at"])


class FollowUpDoneForm(PageForm):
    outcome = forms.CharField(label=_("outcome"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class RecurrenceForm(PageForm):
    columns = {"ticket_number": "col-sm-4", "note": "col-sm-5"}
    ticket_number = forms.CharField(label=_("new ticket no."), max_length=32)
    note = forms.CharField(label=_("note"), required=False, max_length=500)

    def clean_ticket_number(self):
        number = self.cleaned_data["ticket_number"].strip().upper()
        ticket = Ticket.objects.filter(number=number).first()
        if ticket is None:
            raise forms.ValidationError(_("No ticket has the number %(number)s.") % {"number": number})
        self.cleaned_data["new_ticket"] = ticket
        return number


class ActionForm(PageForm):
    columns = {"description": "col-12", "owner": "col-sm-4", "due_date": "col-sm-3", "status": "col-sm-3"}
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


class CloseForm(PageForm):
    reason = forms.CharField(label=_("reason"), required=False, max_length=500)


class SurveyCreateForm(PageForm):
    delivery = forms.ChoiceField(label=_("How the link reaches the customer"), choices=SurveyDelivery.choices)
    reason = forms.CharField(label=_("Why the pending link is replaced"), required=False, max_length=500)
    # Empty (a form posted without it): the team's language.
    language = forms.ChoiceField(label=_("The customer's language"), required=False)

    def __init__(self, *args, has_email: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = settings.LANGUAGES
        self.fields["language"].initial = settings.LANGUAGE_CODE
        if not has_email:
            # Without an email address the link can only be shown once, for sending by chat.
            self.fields["delivery"].choices = [(SurveyDelivery.SHOWN, SurveyDelivery.SHOWN.label)]


class SurveyVoidForm(PageForm):
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
