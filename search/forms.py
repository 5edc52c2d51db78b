from django import forms
from django.utils.translation import gettext_lazy as _

QUERY_MAX = 200


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        max_length=QUERY_MAX,
        required=False,
        strip=True,
        error_messages={"max_length": _("Type at most %(limit_value)d characters.")},
    )
