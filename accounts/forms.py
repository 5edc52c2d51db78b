from django import forms
from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.utils.translation import gettext_lazy as _

from toolkit import languages
from toolkit.models import User


class CodeForm(forms.Form):
    """A six-digit code from the authenticator app, or a backup code."""

    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        strip=True,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false", "size": 12}
        ),
    )


class LanguageForm(forms.ModelForm):
    """The user's language for reminders, notifications and e-mails (empty: the team's language)."""

    class Meta:
        model = User
        fields = ["language"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [("", _("The team's language")), *settings.LANGUAGES]


class RecipientLanguagePasswordResetForm(PasswordResetForm):
    """Django's reset e-mail, written in the account holder's language rather than the requester's."""

    def send_mail(self, subject_template_name, email_template_name, context, *args, **kwargs):
        with languages.writing_to(context["user"]):
            super().send_mail(subject_template_name, email_template_name, context, *args, **kwargs)
