"""Forms validate and normalise; requirements_analysis.services persists."""

from crispy_forms.layout import Column, Field, Layout, Row
from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from toolkit.forms import OneErrorPerFieldMixin, UserChoiceField, active_users, htmx_form_helper

from .models import SCALE_MAX, SCALE_MIN, ConfirmationStatus, RequirementItem
from .services import EDITABLE_ITEM_FIELDS

SCALE_CHOICES = [(n, str(n)) for n in range(SCALE_MIN, SCALE_MAX + 1)]


class RequirementItemForm(OneErrorPerFieldMixin, forms.ModelForm):
    class Meta:
        model = RequirementItem
        fields = EDITABLE_ITEM_FIELDS
        widgets = {
            "surface_need": forms.Textarea(attrs={"rows": 2}),
            "essential_need": forms.Textarea(attrs={"rows": 2}),
            # Text, not a number input: a typed "10万" must reach the server and get a clear message.
            "constraint_amount": forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "100000"}),
            "constraint_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "value": forms.Select(choices=SCALE_CHOICES),
            "urgency": forms.Select(choices=SCALE_CHOICES),
            "effort": forms.Select(choices=SCALE_CHOICES),
        }
        help_texts = {
            "value": _("1 = little business value, 5 = the core goal"),
            "urgency": _("1 = can wait, 5 = needed now"),
            "effort": _("1 = little work, 5 = a lot of work"),
            "constraint_type": _("Only for constraints."),
        }
        error_messages = {
            "constraint_amount": {
                "invalid": _("Enter the amount as a number, e.g. 100000 for 10万元."),
                "max_digits": _("The amount is too large."),
                "max_decimal_places": _("Use at most two decimal places."),
            },
            "constraint_date": {"invalid": _("Enter the date as YYYY-MM-DD.")},
        }

    def __init__(self, *args, action: str, form_id: str, submit_label=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["constraint_date"].input_formats = ["%Y-%m-%d"]
        self.helper = htmx_form_helper(action=action, form_id=form_id, submit_label=submit_label or _("Save"))
        self.helper.layout = Layout(
            Row(
                Column("kind", css_class="col-sm-4"),
                Column("moscow", css_class="col-sm-4"),
                Column("collection_method", css_class="col-sm-4"),
            ),
            Field("summary"),
            Row(Column("surface_need", css_class="col-md-6"), Column("essential_need", css_class="col-md-6")),
            Row(
                Column("source_person", css_class="col-sm-6"),
                Column("source_department", css_class="col-sm-6"),
            ),
            Row(
                Column("constraint_type", css_class="col-sm-3"),
                Column("constraint_amount", css_class="col-sm-3"),
                Column("constraint_date", css_class="col-sm-3"),
                Column("constraint_text", css_class="col-sm-3"),
            ),
            Row(
                Column("value", css_class="col-4"),
                Column("urgency", css_class="col-4"),
                Column("effort", css_class="col-4"),
            ),
        )

    def clean_summary(self):
        return self.cleaned_data["summary"].strip()


class StakeholderForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=100)
    department = forms.CharField(label=_("Department"), max_length=100, required=False)
    user = UserChoiceField(
        label=_("User account"),
        queryset=get_user_model().objects.none(),
        required=False,
        help_text=_("Optional: lets this user record their own confirmation."),
    )

    def __init__(self, *args, action: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = active_users()
        self.helper = htmx_form_helper(
            action=action, form_id="stakeholder-form", submit_label=_("Add stakeholder")
        )
        self.helper.layout = Layout(
            Row(
                Column("name", css_class="col-sm-4"),
                Column("department", css_class="col-sm-4"),
                Column("user", css_class="col-sm-4"),
            )
        )

    def clean_name(self):
        return self.cleaned_data["name"].strip()


class ResponseForm(forms.Form):
    status = forms.ChoiceField(
        choices=[
            (ConfirmationStatus.CONFIRMED, _("Confirm")),
            (ConfirmationStatus.DISPUTED, _("Dispute")),
        ]
    )
    comment = forms.CharField(label=_("Comment"), max_length=500, required=False)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("status") == ConfirmationStatus.DISPUTED and not cleaned.get("comment", "").strip():
            self.add_error("comment", _("Say what is disputed."))
        return cleaned


class MoveForm(forms.Form):
    direction = forms.ChoiceField(choices=[("up", _("Move up")), ("down", _("Move down"))])
