"""The admin's holiday-schedule import (Calendar exceptions → Import): paste or upload, preview, save.

The parsing and saving are toolkit/holidays.py's; this is the form and the two-step page. The preview
page carries the pasted text (or the uploaded file's text) in a hidden field, so the save parses
exactly what the admin saw, and nothing is written before that second POST.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import holidays


class HolidayImportForm(forms.Form):
    year = forms.IntegerField(label=gettext_lazy("Year"), min_value=2000, max_value=2100)
    text = forms.CharField(
        label=gettext_lazy("The State Council's notice (pasted text)"),
        required=False,
        max_length=holidays.MAX_TEXT_CHARS,
        widget=forms.Textarea(attrs={"rows": 10, "cols": 80}),
        help_text=gettext_lazy(
            "e.g. 元旦：1月1日放假，共1天。春节：2月15日至23日放假调休，共9天。"
            "2月14日（周六）、2月28日（周六）上班。"
        ),
    )
    ics_file = forms.FileField(
        label=gettext_lazy("or an iCalendar file (.ics)"),
        required=False,
        help_text=gettext_lazy(
            "All-day events are holidays; an event whose title says 上班, 补班 or work is a working day."
        ),
    )
    # Set on the preview page: the source to parse again when saving.
    kind = forms.ChoiceField(
        choices=[("text", "text"), ("ics", "ics")], required=False, widget=forms.HiddenInput
    )
    content = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_ics_file(self):
        upload = self.cleaned_data.get("ics_file")
        if upload is None:
            return None
        if upload.size > holidays.MAX_ICS_BYTES:
            raise ValidationError(_("The file is too large (at most 1 MB)."))
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError(_("The file is not UTF-8 text: is it an iCalendar (.ics) file?")) from None

    def clean(self):
        data = super().clean()
        year = data.get("year")
        if year is None:
            return data
        if data.get("kind") and data.get("content"):
            kind, content = data["kind"], data["content"]
        elif data.get("ics_file") and data.get("text", "").strip():
            raise ValidationError(_("Paste the text or choose a file, not both."))
        elif data.get("ics_file"):
            kind, content = "ics", data["ics_file"]
        elif data.get("text", "").strip():
            kind, content = "text", data["text"]
        else:
            raise ValidationError(_("Paste the notice's text or choose an iCalendar file."))
        parse = holidays.parse_ics if kind == "ics" else holidays.parse_state_council
        data["kind"], data["content"] = kind, content
        data["days"] = parse(content, year=year)
        return data


def holiday_import_view(model_admin, request):
    """GET: the form. POST: the preview (nothing saved), or with `save` the rows written."""
    if not request.user.has_perms(holidays.IMPORT_PERMISSIONS):
        raise PermissionDenied
    form = HolidayImportForm(
        request.POST or None,
        request.FILES or None,
        initial={"year": holidays.schedule_year_default()},
    )
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": _("Import a holiday schedule"),
        "form": form,
        "gaps": holidays.years_without_holidays(),
    }
    if request.method == "POST" and form.is_valid():
        days = form.cleaned_data["days"]
        if "save" in request.POST:
            written = holidays.holiday_schedule_save(user=request.user, days=days)
            messages.success(
                request,
                _("%(count)d calendar exceptions saved for %(year)s.")
                % {"count": written, "year": form.cleaned_data["year"]},
            )
            return redirect(reverse("admin:toolkit_calendarday_changelist"))
        preview = holidays.schedule_preview(days=days)
        context.update(
            preview=preview,
            holiday_count=sum(1 for row in preview if not row.day.is_workday),
            workday_count=sum(1 for row in preview if row.day.is_workday),
            confirm=HolidayImportForm(
                initial={
                    "year": form.cleaned_data["year"],
                    "kind": form.cleaned_data["kind"],
                    "content": form.cleaned_data["content"],
                }
            ),
        )
    return TemplateResponse(request, "admin/toolkit/calendarday/import.html", context)
