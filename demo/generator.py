"""Plausible demo tickets, as dicts of Ticket field values, all drawn from one seeded random.Random.

Each ticket comes from a problem scenario (demo/scenarios.py). Its fate is decided first: most are
history (closed, a few cancelled) spread over the last six months, denser towards today; the rest are
open, and an open ticket's recorded time is placed on its own SLA clock so that it stands where its
stage says — a ticket in diagnosis has used a small share of its resolution time, one in evaluation
more — leaving most open tickets on track, some at risk and very few breached, as on a desk that keeps
up. What is open, and where it stands, depends only on the seed; the instants follow from `now`.
"""

import bisect
import itertools
import math
import random
from datetime import datetime, time, timedelta

from django.utils import timezone

from diagnosis.services import suggest_priority
from toolkit.calendar import add_clock_time
from toolkit.choices import BusinessUrgency, CustomerTier, Frequency, ImpactScope, Priority, Source, Stage

from . import people
from .scenarios import SCENARIOS

DAYS_BACK = 180
INCIDENT_SHARE = 0.015  # share of generated tickets that become a parent incident with 2-8 children

SOURCE_WEIGHTS = {
    Source.PHONE: 30,
    Source.TICKET_SYSTEM: 30,
    Source.EMAIL: 15,
    Source.ONLINE_CHAT: 15,
    Source.ON_SITE: 7,
    Source.OTHER: 3,
}
# With the impact × urgency matrix, VIP and peak-time raises, these give about
# 8% P0, 21% P1, 37% P2, 34% P3 (plus ~4% overridden by one level).
IMPACT_WEIGHTS = {
    ImpactScope.ONE_USER: 42,
    ImpactScope.SOME_USERS: 40,
    ImpactScope.DEPARTMENT: 14,
    ImpactScope.EVERYONE: 4,
}
URGENCY_WEIGHTS = {BusinessUrgency.LOW: 32, BusinessUrgency.MEDIUM: 50, BusinessUrgency.HIGH: 18}
PEAK_TIME_SHARE = 0.06
TIER_WEIGHTS = {CustomerTier.VIP: 2, CustomerTier.PAID: 1.5, CustomerTier.STANDARD: 1}  # VIPs call more
HOUR_WEIGHTS = [1, 1, 1, 1, 1, 1, 2, 4, 10, 14, 14, 12, 6, 10, 14, 14, 12, 10, 6, 4, 3, 2, 2, 1]
PRIORITY_ORDER = [Priority.P0, Priority.P1, Priority.P2, Priority.P3]

# Share of tickets still open, by priority: the longer the resolution target, the longer a ticket
# stays open (about 12% in all).
OPEN_SHARE = {Priority.P0: 0.03, Priority.P1: 0.06, Priority.P2: 0.12, Priority.P3: 0.18}
CANCELLED_SHARE = 0.05  # of the tickets that are not open
OPEN_STAGE_WEIGHTS = {
    Stage.NEW: 12,
    Stage.DIAGNOSIS: 25,
    Stage.ANALYSIS: 12,
    Stage.DESIGN: 10,
    Stage.IMPLEMENTATION: 16,
    Stage.EVALUATION: 12,
    Stage.ON_HOLD: 6,
}
# Share of the resolution target an open ticket has used, by stage (at risk from 0.5). A new ticket
# is placed on its first-response target instead, below half of it: nobody has looked at it yet.
RESOLUTION_USED = {
    Stage.DIAGNOSIS: (0.02, 0.4),
    Stage.ANALYSIS: (0.1, 0.45),
    Stage.DESIGN: (0.15, 0.5),
    Stage.IMPLEMENTATION: (0.2, 0.75),
    Stage.EVALUATION: (0.3, 0.85),
    Stage.ON_HOLD: (0.05, 0.45),  # paused from the start: it stays on track while on hold
}
RESPONSE_USED_BY_NEW = (0.05, 0.45)
BREACHED_SHARE = 0.05  # of open tickets being worked: stuck past their resolution due time
BREACHED_USED = (1.05, 1.5)


class Picker:
    """Weighted choice with precomputed cumulative weights (called a few million times)."""

    def __init__(self, rng, weights):
        self.rng = rng
        self.values = list(weights)
        self.cumulative = list(itertools.accumulate(weights.values()))
        self.total = self.cumulative[-1]

    def __call__(self):
        return self.values[bisect.bisect_right(self.cumulative, self.rng.random() * self.total)]


def demo_contacts(customer_name: str, domain: str) -> list[tuple[str, str]]:
    """2-4 contacts (王女士 style or a full name) with a mobile, landline or e-mail address.
    They depend on the customer's name only, not on --seed."""
    rng = random.Random(f"contacts:{customer_name}")
    contacts = {}
    wanted = rng.randint(2, 4)
    while len(contacts) < wanted:
        surname, surname_pinyin = rng.choice(people.SURNAMES)
        if rng.random() < 0.6:
            name = surname + rng.choice(people.TITLES)
            details = mobile_number(rng)
        else:
            given, given_pinyin = rng.choice(people.GIVEN_NAMES)
            name = surname + given
            roll = rng.random()
            if roll < 0.4:
                details = f"{given_pinyin}.{surname_pinyin}@{domain}"
            elif roll < 0.55:
                details = f"{rng.choice(people.LANDLINE_AREAS)}-{rng.randint(60000000, 89999999)}"
            else:
                details = mobile_number(rng)
        contacts.setdefault(name, details)
    return list(contacts.items())


def mobile_number(rng) -> str:
    return f"{rng.choice(people.MOBILE_PREFIXES)}{rng.randint(0, 99999999):08d}"


class TicketGenerator:
    """Tickets as dicts of Ticket field values (plus _parent, _customer); see the module docstring.

    `policies` maps a priority to its SLA policy (first_response_minutes, resolution_minutes, clock);
    `calendar` is the business calendar those clocks use.
    """

    def __init__(self, rng, *, customers, users, policies, calendar, now=None):
        self.rng = rng
        self.customers = customers
        self.policies = policies
        self.calendar = calendar
        self.customer_picker = Picker(
            rng, {index: TIER_WEIGHTS[c["tier"]] for index, c in enumerate(customers)}
        )
        self.scenario = Picker(rng, {scenario: scenario.weight for scenario in SCENARIOS})
        self.source = Picker(rng, SOURCE_WEIGHTS)
        self.impact = Picker(rng, IMPACT_WEIGHTS)
        self.urgency = Picker(rng, URGENCY_WEIGHTS)
        self.hour = Picker(rng, dict(enumerate(HOUR_WEIGHTS)))
        self.open_stage = Picker(rng, OPEN_STAGE_WEIGHTS)
        self.owner_ids = {
            scenario.key: [users[name].pk for name in scenario.owners] for scenario in SCENARIOS
        }
        self.recorder_ids = [users[name].pk for name in people.RECORDERS]
        self.tz = timezone.get_current_timezone()
        self.now = timezone.localtime(now or timezone.now(), self.tz).replace(second=0, microsecond=0)
        self.suggestions = {
            (impact, urgency, vip, peak): suggest_priority(
                impact_scope=impact, business_urgency=urgency, vip=vip, peak_time=peak
            ).priority
            for impact in ImpactScope.values
            for urgency in BusinessUrgency.values
            for vip in (False, True)
            for peak in (False, True)
        }

    def generate(self, count: int) -> list[dict]:
        specs = []
        while len(specs) < count:
            remaining = count - len(specs)
            if remaining >= 3 and self.rng.random() < INCIDENT_SHARE:
                parent = self.ticket(incident=True)
                specs.append(parent)
                children = min(self.rng.randint(2, 8), remaining - 1)
                specs.extend(self.child_of(parent) for _ in range(children))
            else:
                specs.append(self.ticket())
        return specs

    def ticket(self, *, incident=False) -> dict:
        rng = self.rng
        scenario = self.scenario()
        errors = scenario.errors
        if incident:
            # A batch of complaints is recognised by its shared error message, when there is one.
            errors = [error for error in errors if error not in ("", "无")] or errors
        spec = self.fill(
            {
                "problem_type": scenario.problem_type,
                "error_message": rng.choice(errors),
                "preliminary_judgement": rng.choice(scenario.judgements),
                "owner_id": rng.choice(self.owner_ids[scenario.key]),
                "_symptom": rng.choice(scenario.symptoms),
                "_parent": None,
            },
            customer=self.customers[self.customer_picker()],
        )
        if rng.random() < OPEN_SHARE[spec["priority"]]:
            spec["stage"] = self.open_stage()
            spec["recorded_at"] = self.open_recorded_at(
                spec["priority"], spec["stage"], may_breach=not incident
            )
            spec["occurred_at"] = spec["recorded_at"] - self.recording_delay(short=True)
        else:
            spec["stage"] = Stage.CANCELLED if rng.random() < CANCELLED_SHARE else Stage.CLOSED
            spec["occurred_at"] = self.occurred_at()
            spec["recorded_at"] = min(spec["occurred_at"] + self.recording_delay(), self.now)
        return spec

    def child_of(self, parent: dict) -> dict:
        """Another complaint about the same incident: same symptom, error, stage and owner, often
        another customer, logged after the first one; handled at the incident's priority."""
        rng = self.rng
        same_customer = rng.random() < 0.4
        customer = parent["_customer"] if same_customer else self.customers[self.customer_picker()]
        child = self.fill(
            {
                key: parent[key]
                for key in ("problem_type", "error_message", "preliminary_judgement", "owner_id", "_symptom")
            },
            customer=customer,
        )
        child["_parent"] = parent
        child["stage"] = parent["stage"]
        if child["priority"] != parent["priority"]:
            child["priority"] = parent["priority"]
            child["priority_override_reason"] = "与主事件同级处理"
        child["recorded_at"] = min(parent["recorded_at"] + timedelta(minutes=rng.randint(1, 90)), self.now)
        child["occurred_at"] = max(
            parent["occurred_at"], child["recorded_at"] - self.recording_delay(short=True)
        )
        return child

    def fill(self, spec: dict, *, customer: dict) -> dict:
        """The caller's details of the ticket: customer, contact, impact, priority and the wording."""
        rng = self.rng
        contact_id, _name, contact_details = rng.choice(customer["contacts"])
        if rng.random() < 0.1:
            contact_details = mobile_number(rng)  # called from another phone
        impact = self.impact()
        urgency = self.urgency()
        peak = rng.random() < PEAK_TIME_SHARE
        frequency = Frequency.INTERMITTENT if rng.random() < 0.35 else Frequency.PERSISTENT
        users_affected = {
            ImpactScope.ONE_USER: 1,
            ImpactScope.SOME_USERS: rng.randint(2, 30),
            ImpactScope.DEPARTMENT: rng.randint(8, 80),
            ImpactScope.EVERYONE: None,
        }[impact]
        suggested = self.suggestions[(impact, urgency, customer["vip"], peak)]
        priority, override_reason = suggested, ""
        if rng.random() < 0.04:
            step = rng.choice((-1, 1))
            index = min(max(PRIORITY_ORDER.index(suggested) + step, 0), len(PRIORITY_ORDER) - 1)
            if PRIORITY_ORDER[index] != suggested:
                priority, override_reason = PRIORITY_ORDER[index], rng.choice(people.OVERRIDE_REASONS)
        spec.update(
            {
                "customer_id": customer["id"],
                "contact_id": contact_id,
                "contact_details": contact_details,
                "source": self.source(),
                "description": self.description(
                    spec["_symptom"], impact, frequency, customer["kind"], users_affected
                ),
                "impact_scope": impact,
                "users_affected": users_affected,
                "frequency": frequency,
                "business_urgency": urgency,
                "peak_time": peak,
                "priority": priority,
                "suggested_priority": suggested,
                "priority_override_reason": override_reason,
                "judgement_unverified": rng.random() < 0.35,
                "recorded_by_id": rng.choice(self.recorder_ids),
                "_customer": customer,
            }
        )
        return spec

    def description(self, symptom, impact, frequency, kind, users_affected) -> str:
        rng = self.rng
        impact_text = rng.choice(people.IMPACTS[impact]).format(
            n=users_affected,
            activity=rng.choice(people.ACTIVITIES[kind]),
            department=rng.choice(people.DEPARTMENTS[kind]),
            person=rng.choice(people.SURNAMES)[0] + rng.choice(people.TITLES),
        )
        parts = [symptom, impact_text, rng.choice(people.FREQUENCY_PHRASES[frequency])]
        return ",".join(part for part in parts if part)

    def open_recorded_at(self, priority, stage, *, may_breach: bool) -> datetime:
        """When an open ticket was logged, so that it has used the share of its SLA its stage suggests."""
        rng = self.rng
        policy = self.policies.get(priority)
        if policy is None:  # no policy for this priority: no clock to stand on
            return self.now - timedelta(minutes=rng.randint(10, 600))
        if stage == Stage.NEW:
            used = policy.first_response_minutes * rng.uniform(*RESPONSE_USED_BY_NEW)
        else:
            share = rng.uniform(*RESOLUTION_USED[stage])
            if may_breach and stage != Stage.ON_HOLD and rng.random() < BREACHED_SHARE:
                share = rng.uniform(*BREACHED_USED)
            used = policy.resolution_minutes * share
        start = add_clock_time(self.now, -timedelta(minutes=used), clock=policy.clock, calendar=self.calendar)
        return timezone.localtime(start, self.tz).replace(second=0, microsecond=0)

    def occurred_at(self) -> datetime:
        """When a history ticket's problem happened: over the last six months, denser towards today."""
        rng = self.rng
        days_back = int(DAYS_BACK * (1 - math.sqrt(rng.random())))
        day = self.now.date() - timedelta(days=days_back)
        if day.weekday() >= 5 and rng.random() < 0.6 and days_back + day.weekday() - 4 < DAYS_BACK:
            day -= timedelta(days=day.weekday() - 4)  # most weekend calls move to Friday
        moment = datetime.combine(day, time(self.hour(), rng.randrange(60)), tzinfo=self.tz)
        if moment >= self.now:
            moment = self.now - timedelta(minutes=rng.randint(5, 600))
        return moment

    def recording_delay(self, *, short=False) -> timedelta:
        roll = self.rng.random()
        if roll < 0.7 or short:
            return timedelta(minutes=self.rng.randint(1, 15))
        if roll < 0.92:
            return timedelta(minutes=self.rng.randint(16, 120))
        return timedelta(minutes=self.rng.randint(121, 24 * 60))
