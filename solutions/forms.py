"""Forms validate and normalise; solutions.services persists."""

from crispy_forms.layout import Column, Field, Layout, Row
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from toolkit.forms import UserChoiceField, htmx_form_helper, staff_users

from .models import MAX_CRITERIA, SCORE_MAX, SCORE_MIN, WEIGHT_TOTAL, CoverageLevel, Risk, SolutionOption
from .services import OPTION_FIELDS, RISK_FIELDS, validate_weights


class OptionForm(forms.ModelForm):
    class Meta:
        model = SolutionOption
        fields = OPTION_FIELDS
        widgets = {
            "approach": forms.Textarea(attrs={"rows": 2}),
            # Text, not a number input: a typed "5万" must reach the server and get a clear message.
            "estimated_cost": forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "50000"}),
            "duration_days": forms.TextInput(attrs={"inputmode": "numeric"}),
            "people": forms.TextInput(attrs={"inputmode": "numeric"}),
            "expected_effect": forms.Textarea(attrs={"rows": 2}),
            "pros": forms.Textarea(attrs={"rows": 2}),
            "cons": forms.Textarea(attrs={"rows": 2}),
        }
        error_messages = {
            "estimated_cost": {
                "invalid": _("Enter the cost as a number of 元, e.g. 50000 for 5万元."),
                "max_digits": _("The cost is too large."),
                "max_decimal_places": _("Use at most two decimal places."),
                "min_value": _("The cost cannot be negative."),
            },
            "duration_days": {
                "invalid": _("Enter the duration as a whole number of days."),
                "min_value": _("Enter a whole number of at least 1."),
            },
            "people": {
                "invalid": _("Enter the number of people as a whole number."),
                "min_value": _("Enter a whole number of at least 1."),
            },
        }

    def __init__(self, *args, action: str, form_id: str, submit_label=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = htmx_form_helper(action=action, form_id=form_id, submit_label=submit_label or _("Save"))
        self.helper.layout = Layout(
            Field("approach"),
            Row(
                Column("estimated_cost", css_class="col-sm-3"),
                Column("duration_days", css_class="col-sm-3"),
                Column("people", css_class="col-sm-3"),
                Column("risk_level", css_class="col-sm-3"),
            ),
            Field("expected_effect"),
            Row(Column("pros", css_class="col-md-6"), Column("cons", css_class="col-md-6")),
        )

    def clean_estimated_cost(self):
        value = self.cleaned_data["estimated_cost"]
        if value is not None and value < 0:
            raise ValidationError(_("The cost cannot be negative."))
        return value


class CriterionForm(forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(label=_("Criterion"), max_length=50, required=False)
    weight = forms.IntegerField(
        label=_("Weight (%)"),
        min_value=0,
        max_value=WEIGHT_TOTAL,
        required=False,
        error_messages={"invalid": _("Enter the weight as a whole number of percent, e.g. 20.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 4}),
    )

    def clean(self):
        cleaned = super().clean()
        name = (cleaned.get("name") or "").strip()
        # A blank extra row is simply not used; a half-filled one is an error.
        if not self.errors and (name or cleaned.get("weight") is not None):
            if not name:
                self.add_error("name", _("Give the criterion a name."))
            if cleaned.get("weight") is None:
                self.add_error("weight", _("Give the criterion a weight."))
        cleaned["name"] = name
        return cleaned


class BaseCriterionFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        rows = self.rows()
        try:
            validate_weights([row["weight"] for row in rows])
        except ValidationError as error:
            raise ValidationError(error.messages) from None
        names = [row["name"].casefold() for row in rows]
        if len(set(names)) != len(names):
            raise ValidationError(_("Two criteria have the same name."))

    def rows(self) -> list[dict]:
        """The criteria to keep, in display order: filled rows not ticked for deletion."""
        rows = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if data.get("DELETE") or not data.get("name"):
                continue
            rows.append({"id": data.get("id"), "name": data["name"], "weight": data["weight"]})
        return rows


CriterionFormSet = forms.formset_factory(
    CriterionForm,
    formset=BaseCriterionFormSet,
    extra=1,
    can_delete=True,
    max_num=MAX_CRITERIA,
    validate_max=True,
)


def criterion_formset(criteria, data=None):
    initial = [{"id": c.pk, "name": c.display_name, "weight": c.weight} for c in criteria]
    return CriterionFormSet(data, initial=initial, prefix="criteria")


class MatrixForm(forms.Form):
    """One field per cell of a matrix; field names carry the two ids (``s-<option>-<criterion>``)."""

    prefix_letter = "s"

    def __init__(self, *args, options, rows, **kwargs):
        super().__init__(*args, **kwargs)
        self.options = options
        self.rows = rows
        for row in rows:
            for option in options:
                self.fields[self.cell_name(option.pk, row.pk)] = self.make_field(option, row)

    @classmethod
    def cell_name(cls, option_id, row_id) -> str:
        return f"{cls.prefix_letter}-{option_id}-{row_id}"

    def values(self) -> dict:
        return {
            (option.pk, row.pk): self.cleaned_data.get(self.cell_name(option.pk, row.pk))
            for row in self.rows
            for option in self.options
        }

    def grid(self) -> list:
        """[(row, [(option, bound field)])] for the template, in row and option order."""
        return [
            (row, [(option, self[self.cell_name(option.pk, row.pk)]) for option in self.options])
            for row in self.rows
        ]

    def cell_errors(self) -> list[str]:
        return [error for errors in self.errors.values() for error in errors]


class ScoreMatrixForm(MatrixForm):
    prefix_letter = "s"

    def make_field(self, option, criterion):
        return forms.IntegerField(
            label=f"{option.display_label} · {criterion.display_name}",
            required=False,
            min_value=SCORE_MIN,
            max_value=SCORE_MAX,
            widget=forms.NumberInput(
                attrs={
                    "class": "form-control form-control-sm score-input",
                    "min": SCORE_MIN,
                    "max": SCORE_MAX,
                }
            ),
            error_messages={
                "invalid": _("Scores are whole numbers from 1 to 5."),
                "min_value": _("Scores are whole numbers from 1 to 5."),
                "max_value": _("Scores are whole numbers from 1 to 5."),
            },
        )


class CoverageMatrixForm(MatrixForm):
    prefix_letter = "c"

    def make_field(self, option, requirement):
        return forms.ChoiceField(
            label=f"{option.display_label} · {requirement.summary}",
            required=False,
            choices=[("", "—"), *CoverageLevel.choices],
            widget=forms.Select(attrs={"class": "form-select form-select-sm coverage-select"}),
        )


class RiskForm(forms.ModelForm):
    owner = UserChoiceField(label=_("Owner"), queryset=None)

    class Meta:
        model = Risk
        fields = RISK_FIELDS
        widgets = {"mitigation": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, action: str, form_id: str, submit_label=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_users(also_pk=self.instance.owner_id)
        self.helper = htmx_form_helper(action=action, form_id=form_id, submit_label=submit_label or _("Save"))
        self.helper.layout = Layout(
            Field("description"),
            Row(
                Column("probability", css_class="col-sm-4"),
                Column("impact", css_class="col-sm-4"),
                Column("owner", css_class="col-sm-4"),
            ),
            Field("mitigation"),
        )


class RollbackPlanForm(forms.Form):
    rollback_plan = forms.CharField(
        label=_("Rollback plan"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("How to go back if the change fails, step by step."),
    )


class ChooseOptionForm(forms.Form):
    option = forms.IntegerField(required=False)


class DecisionForm(forms.Form):
    comment = forms.CharField(label=_("Comment"), required=False, max_length=2000)
