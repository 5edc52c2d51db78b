"""Forms validate and normalise; tracking.services persists (and checks what crosses rows: cycles, the
predecessor's dates)."""

from crispy_forms.layout import Column, Field, Layout, Row
from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from attachments.forms import AttachmentsField
from toolkit.forms import OneErrorPerFieldMixin, UserChoiceField, active_users, htmx_form_helper

from .models import PROGRESS_MAX, ProgressEntry, Task, TaskKind
from .services import TASK_FIELDS

DATE_WIDGET = {"type": "date"}
DATE_ERRORS = {"invalid": _("Enter the date as YYYY-MM-DD.")}


class TaskForm(OneErrorPerFieldMixin, forms.ModelForm):
    owner = UserChoiceField(label=_("Owner"), queryset=get_user_model().objects.none())

    class Meta:
        model = Task
        fields = TASK_FIELDS
        widgets = {
            "planned_start": forms.DateInput(attrs=DATE_WIDGET, format="%Y-%m-%d"),
            "planned_end": forms.DateInput(attrs=DATE_WIDGET, format="%Y-%m-%d"),
            "actual_start": forms.DateInput(attrs=DATE_WIDGET, format="%Y-%m-%d"),
            "actual_end": forms.DateInput(attrs=DATE_WIDGET, format="%Y-%m-%d"),
            "progress": forms.NumberInput(attrs={"min": 0, "max": PROGRESS_MAX, "step": 1}),
            "hours_spent": forms.NumberInput(attrs={"min": 0, "step": "0.5"}),
        }
        help_texts = {"planned_start": _("A milestone takes its planned end as its single day.")}
        error_messages = {
            name: DATE_ERRORS for name in ("planned_start", "planned_end", "actual_start", "actual_end")
        }

    def __init__(self, *args, ticket, action: str, form_id: str, submit_label=None, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("planned_start", "planned_end", "actual_start", "actual_end"):
            self.fields[name].input_formats = ["%Y-%m-%d"]
        self.fields["owner"].queryset = active_users()
        others = Task.objects.filter(ticket=ticket).order_by("position", "id")
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        self.fields["predecessor"].queryset = others
        if not self.instance.pk and not self.is_bound:
            self.initial.setdefault("planned_start", timezone.localdate())
            self.initial.setdefault("planned_end", timezone.localdate())
            self.initial.setdefault("owner", ticket.owner_id)
        self.helper = htmx_form_helper(action=action, form_id=form_id, submit_label=submit_label or _("Save"))
        self.helper.layout = Layout(
            Row(
                Column("kind", css_class="col-sm-3"),
                Column("name", css_class="col-sm-6"),
                Column("owner", css_class="col-sm-3"),
            ),
            Row(
                Column("planned_start", css_class="col-6 col-md-3"),
                Column("planned_end", css_class="col-6 col-md-3"),
                Column("actual_start", css_class="col-6 col-md-3"),
                Column("actual_end", css_class="col-6 col-md-3"),
            ),
            Row(
                Column("status", css_class="col-6 col-md-3"),
                Column("progress", css_class="col-6 col-md-2"),
                Column("hours_spent", css_class="col-6 col-md-2"),
                Column("predecessor", css_class="col-6 col-md-5"),
            ),
            Field("overlap_allowed"),
            Field("deliverable"),
        )

    def clean_name(self):
        return self.cleaned_data["name"].strip()

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("planned_start"), cleaned.get("planned_end")
        if cleaned.get("kind") == TaskKind.MILESTONE and end:
            cleaned["planned_start"] = start = end
        if start and end and end < start:
            self.add_error("planned_end", _("The planned end cannot be before the planned start."))
        return cleaned


class ProgressForm(forms.ModelForm):
    # Screenshots, logs and reports that go with the entry (checked by attachments.services).
    files = AttachmentsField()

    class Meta:
        model = ProgressEntry
        fields = ("date", "progress", "hours", "note", "blockers", "next_step")
        widgets = {
            "date": forms.DateInput(attrs=DATE_WIDGET, format="%Y-%m-%d"),
            "progress": forms.NumberInput(attrs={"min": 0, "max": PROGRESS_MAX, "step": 1}),
            "hours": forms.NumberInput(attrs={"min": 0, "step": "0.5"}),
            "note": forms.Textarea(attrs={"rows": 2}),
            "blockers": forms.Textarea(attrs={"rows": 2}),
            "next_step": forms.Textarea(attrs={"rows": 2}),
        }
        error_messages = {"date": DATE_ERRORS}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["date"].input_formats = ["%Y-%m-%d"]
        self.fields["hours"].required = False
        if not self.is_bound:
            self.initial.setdefault("date", timezone.localdate())

    def clean_hours(self):
        return self.cleaned_data.get("hours") or 0

    def _post_clean(self):
        # The entry has no task yet; the service validates it against its task.
        pass
