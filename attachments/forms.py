"""The file field other forms add (clarifications, progress entries, replies): several files at once,
enhanced by static/attachments/attachments.js (drag and drop, paste a screenshot) and a plain file
input without it."""

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

FIELD_NAME = "files"
# Room left in a request for the form's other fields and the multipart framing.
REQUEST_MARGIN = 64 * 1024


def _hint() -> str:
    return _("Drag files here or paste a screenshot (Ctrl+V). At most %(size)s per file.") % {
        "size": filesizeformat(settings.ATTACHMENT_MAX_BYTES)
    }


def _too_much() -> str:
    size = filesizeformat(settings.REQUEST_MAX_BYTES - REQUEST_MARGIN)
    return _("These files add up to more than %(size)s: send them in several goes.") % {"size": size}


def request_limit() -> str:
    """What the chosen files of one form may add up to: the request limit less room for the form."""
    return str(settings.REQUEST_MAX_BYTES - REQUEST_MARGIN)


def _too_large() -> str:
    return _("Too large: at most %(size)s per file.") % {
        "size": filesizeformat(settings.ATTACHMENT_MAX_BYTES)
    }


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Zero or more files; the type and size checks are attachments_add's (one rule for every form)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", gettext_lazy("Attach files"))
        kwargs.setdefault(
            "widget",
            MultipleFileInput(
                attrs={
                    "data-attachments": "",
                    "data-max-bytes": lazy(lambda: str(settings.ATTACHMENT_MAX_BYTES), str)(),
                    # Built per rendering, in that request's language.
                    "data-hint": lazy(_hint, str)(),
                    "data-too-large": lazy(_too_large, str)(),
                    "data-max-request": lazy(request_limit, str)(),
                    "data-too-much": lazy(_too_much, str)(),
                    "data-remove": gettext_lazy("Remove"),
                }
            ),
        )
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        if not data:
            return []
        files = data if isinstance(data, list | tuple) else [data]
        return [super(AttachmentsField, self).clean(item, initial) for item in files]


class DeleteForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Why is it deleted?"), max_length=500)
