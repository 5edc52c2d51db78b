"""FastSelect writes the same <select> as Django's template-rendered Select (selection, escaping)."""

import pytest
from django import forms
from django.test.html import parse_html

from tests.factories import CustomerFactory
from toolkit.forms import FastSelect
from toolkit.models import Customer


def _both(field_factory, value):
    fast, slow = field_factory(FastSelect), field_factory(forms.Select)
    fast.widget.attrs["class"] = slow.widget.attrs["class"] = "form-select"
    render = lambda field: field.widget.render("f", value, attrs={"id": "id_f"})  # noqa: E731
    return parse_html(render(fast)), parse_html(render(slow))


@pytest.mark.parametrize("value", [None, "", "b", "<x>"])
def test_plain_choices_render_like_djangos_select(value):
    choices = [("", "All"), ("a", "A & co"), ("b", "<b>"), ("<x>", "x")]
    fast, slow = _both(lambda widget: forms.ChoiceField(choices=choices, widget=widget), value)
    assert fast == slow
    assert "<b>" not in str(fast)  # labels escaped


@pytest.mark.django_db
def test_model_choices_render_like_djangos_select():
    customers = [CustomerFactory(name=name) for name in ("华东电网", "Acme")]
    fast, slow = _both(
        lambda widget: forms.ModelChoiceField(
            queryset=Customer.objects.all(), widget=widget, empty_label="All"
        ),
        customers[0].pk,
    )
    assert fast == slow
    assert "selected" in str(fast)
