"""Forms of the ticket page's stage card and incident actions (diagnosis.stage_views)."""

import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from toolkit.choices import Stage
from toolkit.models import Ticket


class StageMoveForm(forms.Form):
    """One stage move: the primary button, a secondary choice, "Move back…" (back=1) or another move.
    Whether the move is allowed, and for whom, is the service's rule."""

    to_stage = forms.ChoiceField(label=_("Move to"), choices=Stage.choices)
    reason = forms.CharField(label=_("Why"), max_length=500)
    back = forms.BooleanField(label=_("I am moving the ticket back"), required=False)
    resolution = forms.CharField(label=_("Resolution"), max_length=400, required=False)

    def __init__(self, *args, ticket, **kwargs):
        super().__init__(*args, **kwargs)
        self.ticket = ticket


class DuplicateForm(forms.Form):
    duplicate_of = forms.CharField(label=_("Duplicate of (ticket no.)"), max_length=32)
    reason = forms.CharField(label=_("Why it is a duplicate"), max_length=300, required=False)

    def __init__(self, *args, ticket, **kwargs):
        super().__init__(*args, **kwargs)
        self.ticket = ticket

    def clean_duplicate_of(self):
        number = self.cleaned_data["duplicate_of"].strip().upper()
        try:
            return Ticket.objects.get(number=number)
        except Ticket.DoesNotExist:
            raise ValidationError(_("No ticket has the number %(number)s.") % {"number": number}) from None


class IncidentUpdateForm(forms.Form):
    body = forms.CharField(label=_("Update for all affected customers"), max_length=5000)
    token = forms.CharField(max_length=64, required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("token", uuid.uuid4().hex)
