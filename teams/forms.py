from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from toolkit import roles
from toolkit.choices import ProblemType, Source
from toolkit.models import Customer, User

from .models import RoutingRule, Team


def people():
    """Active accounts in a service role: who may be a member, a lead, an owner or a collaborator."""
    return (
        User.objects.filter(is_active=True, groups__name__in=[roles.ENGINEER, roles.MANAGER, roles.ADMIN])
        .distinct()
        .order_by("first_name", "username")
    )


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.display_name


class TeamForm(forms.ModelForm):
    lead = PersonChoiceField(label=_("Team lead"), queryset=User.objects.none(), required=False)

    class Meta:
        model = Team
        fields = ["name", "lead", "strategy", "active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["lead"]).queryset = people()


class MemberForm(forms.Form):
    user = PersonChoiceField(label=_("Person"), queryset=User.objects.none())

    def __init__(self, *args, team, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["user"]).queryset = people().exclude(memberships__team=team)


class CustomerNameMixin:
    cleaned_data: dict

    def clean_customer_name(self):
        name = self.cleaned_data.get("customer_name", "").strip()
        if not name:
            return None
        customer = Customer.objects.filter(name=name).first()
        if customer is None:
            raise forms.ValidationError(_("No customer is called “%(name)s”.") % {"name": name})
        return customer


class RuleForm(CustomerNameMixin, forms.ModelForm):
    customer_name = forms.CharField(
        label=_("Customer"), max_length=200, required=False, help_text=_("Empty: any customer.")
    )

    class Meta:
        model = RoutingRule
        fields = ["team", "problem_type", "source", "keywords", "active"]

    field_order = ["team", "problem_type", "customer_name", "source", "keywords", "active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["problem_type"]).choices = [
            ("", _("Any type")),
            *ProblemType.choices,
        ]
        cast(forms.ChoiceField, self.fields["source"]).choices = [("", _("Any source")), *Source.choices]
        cast(forms.ModelChoiceField, self.fields["team"]).queryset = Team.objects.order_by("name")
        if self.instance.customer_id:
            self.fields["customer_name"].initial = self.instance.customer.name

    def save(self, commit=True):
        self.instance.customer = self.cleaned_data.get("customer_name")
        return super().save(commit=commit)


class PreviewForm(CustomerNameMixin, forms.Form):
    """A made-up ticket: which team and member would it go to now?"""

    problem_type = forms.ChoiceField(label=_("Type"), choices=ProblemType.choices)
    source = forms.ChoiceField(label=_("Source"), choices=Source.choices)
    customer_name = forms.CharField(label=_("Customer"), max_length=200, required=False)
    description = forms.CharField(label=_("Description"), max_length=2000, required=False)
    error_message = forms.CharField(label=_("Error message"), max_length=500, required=False)


class ReassignForm(forms.Form):
    owner = PersonChoiceField(label=_("New owner"), queryset=User.objects.none())
    reason = forms.CharField(label=_("Reason"), max_length=500)

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["owner"]).queryset = candidates


class CollaboratorForm(forms.Form):
    user = PersonChoiceField(label=_("Colleague"), queryset=User.objects.none())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["user"]).queryset = people()
