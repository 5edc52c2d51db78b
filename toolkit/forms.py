"""Form parts every chapter page shares: the htmx form helper, the user picker and the staff choices."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.forms.utils import flatatt
from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import mark_safe

from toolkit import roles


def htmx_form_helper(*, action: str, form_id: str, submit_label) -> FormHelper:
    """POSTs normally without JavaScript; under htmx it posts in place, and the block it sits in says
    which element the answer replaces (hx-target/hx-swap inherited from the block's root)."""
    helper = FormHelper()
    helper.form_action = action
    helper.form_id = form_id
    helper.attrs = {"hx-post": action}
    helper.add_input(Submit("submit", submit_label, css_class="btn-sm"))
    return helper


class UserChoiceField(forms.ModelChoiceField):
    """Users listed by the name people know them by, not their login."""

    def label_from_instance(self, obj):
        return obj.display_name


def staff_users(also_pk=None):
    """Anyone active in a service role, plus the user already chosen (if any), so editing keeps them."""
    in_role = Q(is_active=True, groups__name__in=[roles.ENGINEER, roles.MANAGER, roles.ADMIN])
    return (
        get_user_model().objects.filter(in_role | Q(pk=also_pk)).distinct().order_by("job_title", "username")
    )


def active_users():
    """Every active account (stakeholders and task owners need not hold a service role)."""
    return get_user_model().objects.filter(is_active=True).order_by("username")


class OneErrorPerFieldMixin:
    """For a ModelForm: a value the form already rejected (a typed "10万") gets no second message from
    the model's own validation (a "missing value" for the same field)."""

    def _update_errors(self, errors):
        if hasattr(errors, "error_dict"):
            for name in [name for name in errors.error_dict if name in self._errors]:
                del errors.error_dict[name]
            if not errors.error_dict:
                return
        super()._update_errors(errors)


class FastSelect(forms.Select):
    """A <select> written out in Python. Django renders every option through a template include
    (a fraction of a millisecond each), so a filter bar of a few hundred options cost more than the
    table's fifty rows. Same markup as forms.Select for flat choices; option groups are not used here."""

    def render(self, name, value, attrs=None, renderer=None):
        selected = {str(item) for item in self.format_value(value)}
        options = []
        for choice, label in self.choices:
            option_value = "" if choice is None else str(choice)
            mark = " selected" if option_value in selected else ""
            # An f-string per option, not format_html(): the owner and customer lists run to hundreds.
            text = conditional_escape(label)
            options.append(f'<option value="{escape(option_value)}"{mark}>{text}</option>')
        return format_html(
            '<select name="{}"{}>{}</select>',
            name,
            flatatt(self.build_attrs(self.attrs, attrs)),
            mark_safe("".join(options)),  # noqa: S308 - each value and label escaped above
        )
