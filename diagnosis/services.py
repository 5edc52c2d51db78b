"""Chapter 1 domain rules: the priority suggestion, saved filters and the intake (suggestions from the
typed text, the customer picker, the remembered source, routing and saving)."""

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Case, Exists, F, IntegerField, Max, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Length
from django.http import QueryDict
from django.utils.translation import gettext as _

from toolkit import chapters
from toolkit import services as core
from toolkit.choices import BusinessUrgency, CustomerTier, ImpactScope, Priority, ProblemType, Source
from toolkit.models import Contact, Customer, Ticket
from toolkit.privacy import can_see_contact_details

from .models import CustomerSearchKey, IntakePreference, SavedFilter
from .pinyin import normalise

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
    """Create or replace the user's saved filter of that name: anyone who may see the table keeps
    their own views (the engineer role holds the permission too)."""
    if not (user.has_perm("toolkit.view_ticket") and user.has_perm("diagnosis.add_savedfilter")):
        raise PermissionDenied(_("Only people who may see the table keep saved views."))
    saved, _created = SavedFilter.objects.update_or_create(
        user=user, name=name.strip(), defaults={"query_string": clean_filter_query(query_string)}
    )
    return saved


# ---------------------------------------------------------------- intake: suggestions from the text

# Words that point to a problem type, Chinese and English. Chinese words match anywhere; English ones as
# whole words (so "ie" is Internet Explorer, not part of "field"). The type with most matches wins; a tie
# goes to the earlier type here; no match at all is functional (the document's first type).
PROBLEM_TYPE_WORDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    ProblemType.PERFORMANCE: (
        (
            "慢",
            "卡顿",
            "卡死",
            "很卡",
            "超时",
            "延迟",
            "延时",
            "无响应",
            "响应时间",
            "加载超",
            "耗时",
            "占用过高",
            "内存",
            "转圈",
        ),
        (
            "slow",
            "timeout",
            "timeouts",
            "timed out",
            "lag",
            "laggy",
            "latency",
            "delay",
            "delayed",
            "hang",
            "hangs",
            "freeze",
            "freezes",
            "cpu",
            "memory",
            "performance",
        ),
    ),
    ProblemType.COMPATIBILITY: (
        ("浏览器", "版本", "兼容", "火狐", "谷歌浏览器", "安卓", "苹果手机", "分辨率", "操作系统"),
        (
            "ie",
            "safari",
            "chrome",
            "firefox",
            "edge",
            "browser",
            "version",
            "compatibility",
            "compatible",
            "ios",
            "android",
            "macos",
            "windows",
            "resolution",
        ),
    ),
    ProblemType.ENVIRONMENT: (
        (
            "服务器",
            "网络",
            "磁盘",
            "硬盘",
            "证书",
            "带宽",
            "防火墙",
            "数据库连接",
            "连接中断",
            "断网",
            "宕机",
            "域名",
            "端口",
            "内网",
            "存储空间",
            "配置",
        ),
        (
            "dns",
            "server",
            "network",
            "disk",
            "certificate",
            "ssl",
            "tls",
            "firewall",
            "bandwidth",
            "proxy",
            "vpn",
            "outage",
            "connection refused",
            "database connection",
        ),
    ),
}


def _english_word(word: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![a-z0-9]){re.escape(word)}(?![a-z0-9])")


_TYPE_PATTERNS = {
    problem_type: (zh, [_english_word(word) for word in en])
    for problem_type, (zh, en) in PROBLEM_TYPE_WORDS.items()
}


def suggest_problem_type(*, description: str = "", error_message: str = "") -> str:
    """The problem type the typed text points to (PROBLEM_TYPE_WORDS); functional when nothing does."""
    text = f"{description or ''}\n{error_message or ''}".casefold()
    best, best_score = ProblemType.FUNCTIONAL.value, 0
    for problem_type, (zh, en) in _TYPE_PATTERNS.items():
        score = sum(word.casefold() in text for word in zh) + sum(bool(p.search(text)) for p in en)
        if score > best_score:
            best, best_score = str(problem_type), score
    return best


_USERS_COUNT = re.compile(
    r"(\d+)\s*(?:名|个|位|人)?\s*(?:用户|客户端|员工|同事|人)|(\d+)\s+(?:users?|people|staff|employees)",
    re.IGNORECASE,
)
_IMPACT_WORDS = (
    (ImpactScope.EVERYONE, ("全部用户", "所有用户", "全员", "全公司", "所有人", "all users", "everyone")),
    (ImpactScope.DEPARTMENT, ("整个部门", "全部门", "全科室", "whole department", "entire department")),
    (
        ImpactScope.ONE_USER,
        ("单个用户", "仅一个用户", "一个用户", "一名用户", "only one user", "a single user"),
    ),
)


@dataclass(frozen=True)
class ImpactSuggestion:
    impact_scope: str
    users_affected: int | None


def suggest_impact(*, description: str = "") -> ImpactSuggestion | None:
    """The impact the customer described: "影响3名用户" → some users, 3; "全部用户" → everyone; else None."""
    text = (description or "").casefold()
    for scope, words in _IMPACT_WORDS:
        if any(word in text for word in words):
            return ImpactSuggestion(
                impact_scope=str(scope), users_affected=1 if scope == ImpactScope.ONE_USER else None
            )
    match = _USERS_COUNT.search(text)
    if match:
        count = int(match.group(1) or match.group(2))
        if 0 < count < 1_000_000:
            scope = ImpactScope.ONE_USER if count == 1 else ImpactScope.SOME_USERS
            return ImpactSuggestion(impact_scope=str(scope), users_affected=count)
    return None


# ---------------------------------------------------------------- intake: the customer picker

CUSTOMER_MATCHES = 8


def customer_search(query: str, *, limit: int = CUSTOMER_MATCHES) -> list[Customer]:
    """Customers for the picker: name, pinyin initials ("bjyh") or full pinyin ("beijing") starting with
    what was typed, through the search keys' indexes; then, if there is room, names containing it.

    Exact and name matches first, then initials, then pinyin; shorter names first within each.
    """
    key = normalise(query)[:200]
    if not key:
        return []
    rank = Case(
        When(name=key, then=Value(0)),
        When(name__startswith=key, then=Value(1)),
        When(initials__startswith=key, then=Value(2)),
        default=Value(3),
        output_field=IntegerField(),
    )
    keys = (
        CustomerSearchKey.objects.filter(
            Q(name__startswith=key) | Q(initials__startswith=key) | Q(pinyin__startswith=key),
            customer__unmatched=False,
        )
        .select_related("customer")
        .order_by(rank, Length("name"), "name")[:limit]
    )
    found = [search_key.customer for search_key in keys]
    typed = query.strip()[:200]
    if len(found) < limit and len(key) >= 2 and typed:
        found += list(
            Customer.objects.filter(name__icontains=typed, unmatched=False)
            .exclude(pk__in=[customer.pk for customer in found])
            .order_by(Length("name"), "name")[: limit - len(found)]
        )
    return found


# ---------------------------------------------------------------- intake: remembered source


def remembered_source(user) -> str:
    """The source this user chose at their last intake; phone (the usual call) before their first."""
    if user is None or not getattr(user, "pk", None):
        return Source.PHONE.value
    source = IntakePreference.objects.filter(user=user).values_list("source", flat=True).first()
    return source if source in Source.values else Source.PHONE.value


def remember_source(*, user, source: str) -> None:
    if source in Source.values:
        IntakePreference.objects.update_or_create(user=user, defaults={"source": source})


# ---------------------------------------------------------------- intake: routing and saving


@dataclass(frozen=True)
class IntakeRoute:
    """Where routing sends a new ticket: its team and owner (either may be None: no rule, nobody free)."""

    team: Any = None
    owner: Any = None


def intake_route(
    *, commit: bool, problem_type="", customer=None, source="", description="", error_message=""
) -> IntakeRoute:
    """The teams app's routing (chapters.provided("routing_route")); without that app, no route."""
    try:
        route = chapters.provided("routing_route")
    except LookupError:
        return IntakeRoute()
    found = route(
        problem_type=problem_type or "",
        customer=customer,
        source=source or "",
        description=description or "",
        error_message=error_message or "",
        commit=commit,
    )
    return IntakeRoute(team=getattr(found, "team", None), owner=getattr(found, "owner", None))


INTAKE_TICKET_FIELDS = (
    "contact_details",
    "source",
    "occurred_at",
    "description",
    "error_message",
    "problem_type",
    "impact_scope",
    "users_affected",
    "frequency",
    "business_urgency",
    "peak_time",
    "priority",
    "priority_override_reason",
    "preliminary_judgement",
    "judgement_unverified",
)


@transaction.atomic
def intake_create(*, user, data: dict[str, Any]) -> Ticket:
    """Log a ticket from the intake form's cleaned data.

    The customer (created when new) and its contact; the owner as chosen, or else the routed one
    (routing_route, committed: the round-robin moves), or else the person logging it; the routed team
    recorded on the ticket (routing_attach); the source remembered for this person's next intake.
    ValidationError from the core (future time, unexplained override) leaves nothing saved;
    PermissionDenied for someone who may not log tickets.
    """
    if not user.has_perm("toolkit.add_ticket"):
        raise PermissionDenied(_("You may not log tickets."))
    customer = data.get("existing_customer") or core.customer_get_or_create(
        name=data["customer_name"], tier=data.get("customer_tier") or CustomerTier.STANDARD
    )
    contact = core.contact_get_or_create(
        customer=customer, name=data["contact_name"], details=data.get("contact_details", "")
    )
    chosen = data.get("owner")
    # Routed also when an owner was chosen (the team still takes the ticket), but then without moving
    # the team's round-robin: the chosen person gets it, not the next member.
    route = intake_route(
        commit=chosen is None,
        problem_type=data.get("problem_type", ""),
        customer=customer,
        source=data.get("source", ""),
        description=data.get("description", ""),
        error_message=data.get("error_message", ""),
    )
    fields = {name: data[name] for name in INTAKE_TICKET_FIELDS if name in data}
    ticket = core.ticket_create(
        recorded_by=user,
        customer=customer,
        contact=contact,
        owner=chosen or route.owner or user,
        suggested_priority=data["suggested_priority"],
        **fields,
    )
    if route.team is not None:
        try:
            attach = chapters.provided("routing_attach")
        except LookupError:
            attach = None
        if attach is not None:
            attach(ticket=ticket, team=route.team)
    remember_source(user=user, source=ticket.source)
    return ticket


def intake_contacts(*, customer_name: str, user):
    """A customer's contacts for the intake, the one on its latest ticket first (the usual caller), each
    with ``details_shown``: the contact details to fill in.

    Contact data follows toolkit.privacy: with the contact-details permission, every contact and its
    recorded details; without it, only the contacts of tickets this person owns or recorded (whose
    details they see on those tickets), with the details as on the latest of them.
    """
    contacts = Contact.objects.filter(customer__name=(customer_name or "").strip()[:200])
    if can_see_contact_details(user):
        return contacts.annotate(
            last_ticket=Max("tickets__recorded_at"), details_shown=F("details")
        ).order_by(F("last_ticket").desc(nulls_last=True), "name")[:200]
    own = Q(owner=user) | Q(recorded_by=user)
    latest_own = Ticket.objects.filter(own, contact=OuterRef("pk")).order_by("-recorded_at", "-pk")
    return (
        contacts.filter(Exists(latest_own))
        .annotate(
            last_ticket=Subquery(latest_own.values("recorded_at")[:1]),
            details_shown=Subquery(latest_own.values("contact_details")[:1]),
        )
        .order_by(F("last_ticket").desc(nulls_last=True), "name")[:200]
    )


@dataclass(frozen=True)
class IntakeAssist:
    """What the intake form suggests while it is filled in (shown live, applied to untouched fields)."""

    problem_type: str
    impact: ImpactSuggestion | None
    routing: bool  # whether a routing app is installed at all
    team: Any = None
    owner: Any = None


def intake_assist_for(params) -> IntakeAssist:
    """Suggestions from the form's values so far (a QueryDict or dict): the type from the text, the impact
    from the description, and the route a save would take now (not committed: nothing moves)."""
    description = str(params.get("description", ""))[:4000]
    error_message = str(params.get("error_message", ""))[:500]
    suggested = suggest_problem_type(description=description, error_message=error_message)
    chosen = params.get("problem_type", "")
    problem_type = chosen if chosen in ProblemType.values else suggested
    name = str(params.get("customer_name", "")).strip()[:200]
    customer = Customer.objects.filter(name=name).first() if name else None
    try:
        chapters.provided("routing_route")
    except LookupError:
        routing = False
        route = IntakeRoute()
    else:
        routing = True
        route = intake_route(
            commit=False,
            problem_type=problem_type,
            customer=customer or name or None,
            source=params.get("source", ""),
            description=description,
            error_message=error_message,
        )
    return IntakeAssist(
        problem_type=suggested,
        impact=suggest_impact(description=description),
        routing=routing,
        team=route.team,
        owner=route.owner,
    )


def priority_suggestion_from(params) -> PrioritySuggestion | None:
    """The live priority suggestion from the intake's values so far (None until impact and urgency)."""
    customer = Customer.objects.filter(name=str(params.get("customer_name", "")).strip()[:200]).first()
    vip = customer.raises_priority if customer else params.get("customer_tier") == CustomerTier.VIP
    try:
        return suggest_priority(
            impact_scope=params.get("impact_scope", ""),
            business_urgency=params.get("business_urgency", ""),
            vip=vip,
            peak_time=params.get("peak_time") in ("on", "true", "1"),
        )
    except ValueError:
        return None
