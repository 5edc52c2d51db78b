"""The conversation card's forms (reply, note) and the canned-reply form. Services do the saving."""

from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import CannedReply
from .services import BODY_MAX


class MessageForm(forms.Form):
    """The text of a reply or a note; the prefix ("reply" / "note") keeps the two forms' fields apart."""

    body = forms.CharField(
        label=_("Text"),
        max_length=BODY_MAX,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 4, "class": "form-control"}),
    )

    def clean_body(self):
        body = self.cleaned_data["body"]
        if not body.strip():
            raise forms.ValidationError(_("Write the text."), code="empty")
        return body


def placeholder_help() -> list[tuple[str, str]]:
    """The placeholders a canned reply may hold, each with what it becomes (translated per request)."""
    return [
        ("{customer}", str(_("the customer's name"))),
        ("{contact}", str(_("the contact's name"))),
        ("{ticket}", str(_("the ticket number"))),
        ("{engineer}", str(_("your name"))),
    ]


class CannedReplyForm(forms.ModelForm):
    shared = forms.BooleanField(
        label=_("Shared with everyone"),
        required=False,
        help_text=_("Only managers keep shared canned replies; others are yours alone."),
    )

    class Meta:
        model = CannedReply
        fields = ["title", "body"]
        widgets = {
            "title": forms.TextInput(attrs={"class": "form-control"}),
            "body": forms.Textarea(attrs={"rows": 5, "class": "form-control"}),
        }

    team: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Team"),
        queryset=None,
        required=False,
        empty_label=_("No team"),
        help_text=_("A team's canned replies are usable by its members and kept by its lead and managers."),
    )

    def __init__(self, *args, may_share: bool = False, teams=None, **kwargs):
        super().__init__(*args, **kwargs)
        team_field = cast(forms.ModelChoiceField, self.fields["team"])
        if teams is None or not teams.exists():
            del self.fields["team"]
        else:
            team_field.queryset = teams
            team_field.initial = self.instance.team_id
            team_field.widget.attrs["class"] = "form-select"
        if not may_share:
            del self.fields["shared"]
        else:
            self.fields["shared"].initial = self.instance.pk is not None and self.instance.is_shared
            self.fields["shared"].widget.attrs["class"] = "form-check-input"

    def _post_clean(self):
        # The service validates and saves (services.canned_reply_save); the model is not saved here.
        pass
