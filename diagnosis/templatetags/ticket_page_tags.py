"""The ticket page's two small forms (a clarification, the parent incident) without crispy's chain of
nested templates: 2.5 ms of CPU through {% crispy %}, 1.5 ms through diagnosis/_plain_form.html (both
forms, built and rendered). The partial writes the markup of crispy's bootstrap5 pack for an unbound
form; tests/diagnosis/test_plain_form.py compares the two, so a change to the forms shows there."""

from django import template

register = template.Library()

# The classes crispy's bootstrap5 pack gives each kind of widget.
_WIDGET_CLASSES = {"textarea": "textarea form-control", "text": "textinput form-control"}


@register.simple_tag
def plain_widget(field):
    return field.as_widget(attrs={"class": _WIDGET_CLASSES.get(field.widget_type, "form-control")})
