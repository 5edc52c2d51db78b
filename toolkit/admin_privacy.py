"""Contact-detail masking in the admin, for staff users who may not see the details.

The rule is toolkit.privacy's: for such a user the private fields become read-only masked values (so
nothing can be overwritten blind), the history list shows masked diffs, and past versions (a form
holding the old values, with a revert button) are not opened at all. Unmasked views are logged.
"""

from django.core.exceptions import PermissionDenied
from django.utils.functional import cached_property
from simple_history.template_utils import HistoricalRecordContextHelper

from .audit import contact_details_viewed
from .choices import ViewSurface
from .privacy import can_see_contact_details, mask_contact_details, mask_free_text, mask_person_name

MASKS = {
    "details": mask_contact_details,
    "name": mask_person_name,
    "text": mask_free_text,
    "contact": lambda contact: mask_person_name(contact.name) if contact is not None else "",
}


def _masked_field(model, name, how):
    """A read-only admin column showing `name` masked, labelled as the field."""

    def display(obj):
        return MASKS[how](getattr(obj, name))

    display.__name__ = f"masked_{name}"
    display.short_description = model._meta.get_field(name).verbose_name
    return display


class _MaskedHistoryHelper(HistoricalRecordContextHelper):
    def __init__(self, *args, masks, **kwargs):
        super().__init__(*args, **kwargs)
        self.masks = masks

    def prepare_delta_change_value(self, change, value):
        how = self.masks.get(change.field)
        if how is None:
            return super().prepare_delta_change_value(change, value)
        if how == "contact":
            # The diff holds the contact's id (or the object): show only a masked name.
            from .models import Contact

            contact = value if isinstance(value, Contact) else Contact.objects.filter(pk=value).first()
            return MASKS["contact"](contact)
        return MASKS[how](value or "")


class _Named:
    """The object as templates see it, with another name (str) — attributes are the object's own."""

    def __init__(self, obj, name):
        self._obj, self._name = obj, name

    def __getattr__(self, attr):
        return getattr(self._obj, attr)

    def __str__(self):
        return self._name


class ContactPrivacyAdminMixin:
    """For a ModelAdmin (or SimpleHistoryAdmin) whose model holds contact data.

    ``private_fields`` maps a field name to how it is masked: "details", "name", "text" (phones and
    e-mails inside free text) or "contact" (a foreign key to Contact).
    """

    private_fields: dict[str, str] = {}

    def ticket_of(self, obj):
        """The ticket whose rule applies to `obj` (None: only the permission counts)."""
        return None

    def may_see(self, request, obj=None) -> bool:
        return can_see_contact_details(request.user, self.ticket_of(obj) if obj is not None else None)

    @cached_property
    def _masked_columns(self):
        # Built once per admin: the admin matches read-only columns by identity.
        return {name: _masked_field(self.model, name, how) for name, how in self.private_fields.items()}

    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or [])
        if obj is None or self.may_see(request, obj):
            return exclude or None
        return [*exclude, *self.private_fields]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is None or self.may_see(request, obj):
            return readonly
        # The real fields leave the form (get_exclude); masked read-only columns take their place.
        kept = [name for name in readonly if name not in self.private_fields]
        return kept + list(self._masked_columns.values())

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is None or self.may_see(request, obj):
            return fields
        masked = self._masked_columns
        shown = [masked.get(name, name) if isinstance(name, str) else name for name in fields]
        # Keep each masked column once, and only masked columns of this admin's own instance.
        names = set()
        unique = []
        for field in shown:
            key = getattr(field, "__name__", field)
            if key not in names:
                names.add(key)
                unique.append(field)
        return unique

    def get_list_display(self, request):
        fields = super().get_list_display(request)
        if self.may_see(request):
            return fields
        masked = self._masked_columns
        return [masked.get(name, name) if isinstance(name, str) else name for name in fields]

    def get_list_display_links(self, request, list_display):
        links = super().get_list_display_links(request, list_display)
        if links and not self.may_see(request):
            masked = self._masked_columns
            return [masked.get(name, name) for name in links]
        return links

    def get_search_fields(self, request):
        # Searching by a hidden value would confirm it one guess at a time.
        fields = super().get_search_fields(request)
        if self.may_see(request):
            return fields
        return [name for name in fields if name.split("__")[0] not in self.private_fields]

    def masked_str(self, obj) -> str:
        """How `obj` is named (titles, breadcrumbs) to someone who may not see its contact data."""
        return str(obj)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and not self.may_see(request, obj):
            context["subtitle"] = self.masked_str(obj)
            context["original"] = _Named(obj, self.masked_str(obj))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def history_view_title(self, request, obj):
        if getattr(request, "contact_details_visible", False):
            return super().history_view_title(request, obj)
        return super().history_view_title(request, _Named(obj, self.masked_str(obj)))

    def render_history_view(self, request, template, context, **kwargs):
        if not getattr(request, "contact_details_visible", False):
            context["object"] = _Named(context["object"], self.masked_str(context["object"]))
            for record in context["page_obj"]:
                # Plain attributes shadow the record's computed history_object for the template.
                record.history_object = _Named(record.instance, self.masked_str(record.instance))
                record.history_change_reason = mask_free_text(record.history_change_reason or "")
        return super().render_history_view(request, template, context, **kwargs)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        obj = getattr(response, "context_data", {}).get("original")
        ticket = self.ticket_of(obj) if obj is not None else None
        if ticket is not None and request.method == "GET" and response.status_code == 200:
            contact_details_viewed(user=request.user, tickets=[ticket], surface=ViewSurface.ADMIN)
        return response

    # ---- django-simple-history's pages (only used when the admin is a SimpleHistoryAdmin)

    def history_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, object_id)
        # Decided once for the page, from the live row (its owner now), not from each old version.
        request.contact_details_visible = obj is not None and self.may_see(request, obj)
        return super().history_view(request, object_id, extra_context)

    def get_historical_record_context_helper(self, request, historical_record):
        if getattr(request, "contact_details_visible", False):
            return super().get_historical_record_context_helper(request, historical_record)
        return _MaskedHistoryHelper(self.model, historical_record, masks=self.private_fields)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        obj = self.get_object(request, object_id)
        if obj is None or not self.may_see(request, obj):
            raise PermissionDenied
        request.contact_details_visible = True  # an old version is shown whole only to those who may see
        response = super().history_form_view(request, object_id, version_id, extra_context)
        ticket = self.ticket_of(obj)
        if ticket is not None and request.method == "GET" and response.status_code == 200:
            contact_details_viewed(user=request.user, tickets=[ticket], surface=ViewSurface.ADMIN)
        return response
