"""Chapter 1 domain rules: the priority suggestion and saved filters."""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.db import transaction
from django.http import QueryDict
from django.utils.translation import gettext as _

from toolkit.choices import BusinessUrgency, ImpactScope, Priority

from .models import SavedFilter

# Impact × urgency, before the customer's importance is considered.
PRIORITY_MATRIX = {
    BusinessUrgency.HIGH: {
        ImpactScope.ONE_USER: Priority.P2,
        ImpactScope.SOME_USERS: Priority.P1,
        ImpactScope.DEPARTMENT: Priority.P0,
        ImpactScope.EVERYONE: Priority.P0,
    },
    BusinessUrgency.MEDIUM: {
        ImpactScope.ONE_USER: Priority.P3,
        ImpactScope.SOME_USERS: Priority.P2,
        ImpactScope.DEPARTMENT: Priority.P1,
        ImpactScope.EVERYONE: Priority.P1,
    },
    BusinessUrgency.LOW: {
        ImpactScope.ONE_USER: Priority.P3,
        ImpactScope.SOME_USERS: Priority.P3,
        ImpactScope.DEPARTMENT: Priority.P2,
        ImpactScope.EVERYONE: Priority.P2,
    },
}
_ORDER = [Priority.P0, Priority.P1, Priority.P2, Priority.P3]


@dataclass(frozen=True)
class PrioritySuggestion:
    priority: str
    base: str
    raised: bool
    reasons: tuple[str, ...]


def suggest_priority(
    *, impact_scope: str, business_urgency: str, vip: bool, peak_time: bool
) -> PrioritySuggestion:
    """Impact × urgency from the matrix, raised one level (at most) for a VIP customer or peak time."""
    base = PRIORITY_MATRIX[BusinessUrgency(business_urgency)][ImpactScope(impact_scope)]
    reasons = [
        _("impact: %(impact)s × urgency: %(urgency)s → %(priority)s")
        % {
            "impact": ImpactScope(impact_scope).label,
            "urgency": BusinessUrgency(business_urgency).label,
            "priority": base,
        }
    ]
    if vip:
        reasons.append(_("VIP customer: one level up"))
    if peak_time:
        reasons.append(_("business peak time: one level up"))
    raised = vip or peak_time
    priority = _ORDER[max(_ORDER.index(base) - 1, 0)] if raised else base
    return PrioritySuggestion(priority=priority, base=base, raised=raised, reasons=tuple(reasons))


def clean_filter_query(query_string: str) -> str:
    """The table's query string without paging, so a saved view starts on page 1."""
    params = QueryDict(query_string, mutable=True)
    params.pop("page", None)
    return urlencode(sorted(params.lists()), doseq=True)


@transaction.atomic
def saved_filter_save(*, user, name: str, query_string: str) -> SavedFilter:
    """Create or replace the user's saved filter of that name."""
    saved, _created = SavedFilter.objects.update_or_create(
        user=user, name=name.strip(), defaults={"query_string": clean_filter_query(query_string)}
    )
    return saved
