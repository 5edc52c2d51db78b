"""Forms validate and normalise; knowledge.services persists."""

import re

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Field, Layout, Row, Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from toolkit.choices import ProblemType
from toolkit.models import Ticket

from .models import CONTENT_FIELDS, Article, ArticleStatus, Tag

MAX_TAGS = 10
TAG_SPLIT = re.compile(r"[,，、;；\n]+")


class ArticleForm(forms.ModelForm):
    tag_names = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=500,
        help_text=_("Separated by commas, e.g. 登录, 验证码"),
    )
    source_ticket_ids = forms.ModelMultipleChoiceField(
        queryset=Ticket.objects.all(), required=False, widget=forms.MultipleHiddenInput
    )

    class Meta:
        model = Article
        fields = list(CONTENT_FIELDS)
        widgets = {
            "symptoms": forms.Textarea(attrs={"rows": 3}),
            "error_messages": forms.Textarea(attrs={"rows": 2}),
            "root_cause": forms.Textarea(attrs={"rows": 2}),
            "solution_steps": forms.Textarea(attrs={"rows": 8, "class": "font-monospace"}),
            "prevention": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, action: str, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and "tag_names" not in self.initial:
            self.initial["tag_names"] = ", ".join(tag.name for tag in self.instance.tags.all())
        self.helper = FormHelper()
        self.helper.form_action = action
        self.helper.form_id = "article-form"
        self.helper.layout = Layout(
            Field("title"),
            Row(Column("type", css_class="col-sm-4"), Column("environment", css_class="col-sm-8")),
            Field("symptoms"),
            Field("error_messages"),
            Field("root_cause"),
            Field("solution_steps"),
            Field("prevention"),
            Field("tag_names"),
            Field("source_ticket_ids"),
        )
        self.helper.add_input(Submit("submit", _("Save")))

    def clean_tag_names(self):
        names = []
        for name in TAG_SPLIT.split(self.cleaned_data["tag_names"]):
            name = name.strip()[: Tag._meta.get_field("name").max_length]
            if name and name not in names:
                names.append(name)
        if len(names) > MAX_TAGS:
            raise forms.ValidationError(_("At most %(count)d tags.") % {"count": MAX_TAGS})
        return names

    def content(self) -> dict:
        """The keyword arguments for services.article_create / article_update."""
        data = {name: self.cleaned_data[name] for name in CONTENT_FIELDS}
        data["tag_names"] = self.cleaned_data["tag_names"]
        return data


class ArticleFilterForm(forms.Form):
    """The list's query string: q, type, tag, status, page. Bad values are ignored, not errors."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    type = forms.ChoiceField(
        label=_("Type"), required=False, choices=[("", _("All types"))] + ProblemType.choices
    )
    tag = forms.CharField(label=_("Tag"), required=False, max_length=50)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=ArticleStatus.choices)

    def __init__(self, *args, statuses, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("type", "status"):
            self.fields[name].widget.attrs["class"] = "form-select"
        # Published first: the list's default, and what a select with no value shows.
        ordered = sorted(statuses, key=lambda value: value != ArticleStatus.PUBLISHED)
        self.fields["status"].choices = [(value, ArticleStatus(value).label) for value in ordered]

    def filters(self) -> dict:
        """The valid values; a bad one (an unknown type, a status the user may not see) is dropped."""
        self.is_valid()
        return {name: self.cleaned_data.get(name) or "" for name in ("q", "type", "tag", "status")}


class LinkForm(forms.Form):
    article = forms.ModelChoiceField(queryset=Article.objects.filter(status=ArticleStatus.PUBLISHED))
