"""`manage.py seed_demo [--tickets N]`: demo users, the document's two rows and N generated tickets."""

import bisect
import itertools
import math
import random
import secrets
import time as clock
import unicodedata
from collections import defaultdict
from datetime import datetime, time, timedelta
from importlib import import_module
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from demo import people as demo_data
from diagnosis.services import suggest_priority
from knowledge.services import tickets_index
from toolkit import roles, sla
from toolkit import services as core
from toolkit.calendar import Calendar
from toolkit.choices import BusinessUrgency, CustomerTier, Frequency, ImpactScope, Priority, Source, Stage
from toolkit.models import Customer, Ticket

# The document's times are Beijing time, whatever TIME_ZONE the installation uses.
DOCUMENT_TZ = ZoneInfo("Asia/Shanghai")
DAYS_BACK = 180
READABLE_CHARS = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud or copied from a terminal
# Chapters 2–6 seed their own demo data on the latest tickets, in this order.
CHAPTER_DEMOS = [
    "requirements_analysis.demo",
    "solutions.demo",
    "tracking.demo",
    "evaluation.demo",
    "knowledge.demo",
]
CHAPTER_TICKETS = 200
INCIDENT_SHARE = 0.015  # share of generated tickets that become a parent incident with 2-8 children

SOURCE_WEIGHTS = {
    Source.PHONE: 30,
    Source.TICKET_SYSTEM: 30,
    Source.EMAIL: 15,
    Source.ONLINE_CHAT: 15,
    Source.ON_SITE: 7,
    Source.OTHER: 3,
}
TYPE_WEIGHTS = {"functional": 40, "performance": 25, "compatibility": 15, "environment": 20}
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
# Stage by the ticket's age: young tickets are still being worked, old ones mostly closed.
_YOUNG = {
    Stage.NEW: 40,
    Stage.DIAGNOSIS: 38,
    Stage.ANALYSIS: 10,
    Stage.ON_HOLD: 6,
    Stage.CANCELLED: 3,
    Stage.CLOSED: 3,
}
_RECENT = {
    Stage.NEW: 4, Stage.DIAGNOSIS: 18, Stage.ANALYSIS: 14, Stage.DESIGN: 12, Stage.IMPLEMENTATION: 18,
    Stage.EVALUATION: 10, Stage.CLOSED: 14, Stage.ON_HOLD: 6, Stage.CANCELLED: 4,
}  # fmt: skip
_OLD = {
    Stage.DIAGNOSIS: 1, Stage.ANALYSIS: 2, Stage.DESIGN: 2, Stage.IMPLEMENTATION: 4, Stage.EVALUATION: 6,
    Stage.CLOSED: 75, Stage.ON_HOLD: 4, Stage.CANCELLED: 6,
}  # fmt: skip
STAGE_WEIGHTS_BY_AGE = [(2, _YOUNG), (14, _RECENT), (None, _OLD)]  # (younger than N days, weights)
PRIORITY_ORDER = [Priority.P0, Priority.P1, Priority.P2, Priority.P3]


class Picker:
    """Weighted choice with precomputed cumulative weights (called a few million times)."""

    def __init__(self, rng, weights):
        self.rng = rng
        self.values = list(weights)
        self.cumulative = list(itertools.accumulate(weights.values()))
        self.total = self.cumulative[-1]

    def __call__(self):
        return self.values[bisect.bisect_right(self.cumulative, self.rng.random() * self.total)]


def readable_password() -> str:
    """Three groups of four letters/digits, e.g. k7mq-tx3v-9bpr (about 59 bits)."""
    return "-".join("".join(secrets.choice(READABLE_CHARS) for _ in range(4)) for _ in range(3))


class Command(BaseCommand):
    @property
    def help(self):
        # A property so argparse gets a str translated into the active language, not a lazy proxy.
        return _(
            "Load demo data: the users engineer, manager and admin (passwords printed once, when first set), "
            "a few more engineers as owners, the toolkit document's two example rows (TSA公司, TSB工厂) "
            "through the normal ticket service, about 40 customers with their contacts, and N generated "
            "tickets spread over the last 180 days. Users, customers, contacts and the document rows are "
            "never duplicated; every run adds another N generated tickets (use --tickets 0 to add none). "
            "Generated tickets are bulk-inserted with numbers reserved per recorded day, so their history "
            "holds one 'created' record each (dated when it was recorded, by the recorder) but no stage "
            "changes, and ticket save() signals do not run for them."
        )

    def add_arguments(self, parser):
        parser.add_argument(
            "--tickets", type=int, default=200, help=_("Generated tickets to add (default 200).")
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=20231001,
            help=_("Random seed: the same seed on the same day gives the same tickets."),
        )
        parser.add_argument(
            "--reset-passwords",
            action="store_true",
            help=_("Set and print new passwords for the engineer, manager and admin users."),
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help=_("Generate tickets only when the database has none yet (used by “dev.py run”)."),
        )
        parser.add_argument(
            "--batch-size", type=int, default=5000, help=_("Rows per bulk insert (default 5000).")
        )
        parser.add_argument(
            "--no-history",
            action="store_true",
            help=_("Skip the history records of generated tickets (faster)."),
        )

    def handle(self, *args, tickets, seed, reset_passwords, if_empty, batch_size, no_history, **options):
        if tickets < 0:
            raise CommandError(_("--tickets must be 0 or more."))
        if batch_size < 1:
            raise CommandError(_("--batch-size must be at least 1."))
        self.verbosity = options["verbosity"]
        started = clock.perf_counter()

        if if_empty and Ticket.objects.exists():
            tickets = 0
        users, credentials = self.ensure_users(reset_passwords=reset_passwords)
        try:
            document_created = self.ensure_document_rows(users)
            customers_before = Customer.objects.count()
            customers = self.ensure_customers()
            new_customers = Customer.objects.count() - customers_before
            setup_seconds = clock.perf_counter() - started

            generated_started = clock.perf_counter()
            specs = TicketGenerator(random.Random(seed), customers=customers, users=users).generate(tickets)
            history_rows = self.insert_tickets(
                specs, users, batch_size=batch_size, with_history=not no_history
            )
            generated_seconds = clock.perf_counter() - generated_started
            if document_created or specs:
                self.seed_chapters(users)

            self.report_figures(
                document_created=document_created,
                customers=customers,
                new_customers=new_customers,
                tickets=len(specs),
                history_rows=history_rows,
                setup_seconds=setup_seconds,
                generated_seconds=generated_seconds,
                elapsed=clock.perf_counter() - started,
            )
        finally:
            # The passwords are committed by now: print them even if a later step fails.
            self.report_credentials(credentials)

    # Users --------------------------------------------------------------------------------------

    @transaction.atomic
    def ensure_users(self, *, reset_passwords):
        """The three login users (password printed when set) and the owners, who cannot log in."""
        User = get_user_model()
        group_names = [roles.ENGINEER, roles.MANAGER, roles.ADMIN]
        groups = {group.name: group for group in Group.objects.filter(name__in=group_names)}
        if len(groups) != len(group_names):
            raise CommandError(_("The role groups are missing: run “manage.py migrate” first."))

        users, credentials = {}, []
        for spec in demo_data.LOGIN_USERS:
            is_admin = spec["role"] == roles.ADMIN
            user, created = User.objects.get_or_create(
                username=spec["username"],
                defaults={
                    "first_name": spec["first_name"],
                    "job_title": spec["job_title"],
                    # example.com never receives mail; the console backend shows SLA reminder emails.
                    "email": f"{spec['username']}@example.com",
                    "is_staff": is_admin,
                    "is_superuser": is_admin,
                },
            )
            user.groups.add(groups[spec["role"]])
            password = None
            if created or reset_passwords:
                password = readable_password()
                user.set_password(password)
                user.save(update_fields=["password"])
            credentials.append((user.username, roles.ROLE_LABELS[spec["role"]], password))
            users[user.username] = user

        engineer = users["engineer"]
        if engineer.manager_id is None:
            engineer.manager = users["manager"]
            engineer.save(update_fields=["manager"])

        for spec in demo_data.OWNER_USERS:
            user, created = User.objects.get_or_create(
                username=spec["username"],
                defaults={
                    "first_name": spec["first_name"],
                    "job_title": spec["job_title"],
                    "email": f"{spec['username']}@example.com",
                    "manager": users["manager"],
                },
            )
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
            user.groups.add(groups[roles.ENGINEER])
            users[user.username] = user
        return users, credentials

    # The document's rows ------------------------------------------------------------------------

    def ensure_document_rows(self, users) -> list[str]:
        """The document's two rows through toolkit.services.ticket_create, once. Returns new numbers."""
        created = []
        for row in demo_data.DOCUMENT_ROWS:
            with transaction.atomic():
                customer = core.customer_get_or_create(name=row["customer"])
                contact = core.contact_get_or_create(
                    customer=customer, name=row["contact"], details=row["contact_details"]
                )
                occurred_at = datetime(*row["occurred_at"], tzinfo=DOCUMENT_TZ)
                if Ticket.objects.filter(
                    customer=customer, description=row["description"], occurred_at=occurred_at
                ).exists():
                    continue
                suggestion = suggest_priority(
                    impact_scope=row["impact_scope"],
                    business_urgency=row["business_urgency"],
                    vip=customer.raises_priority,
                    peak_time=False,
                )
                override_reason = ""
                if suggestion.priority != row["priority"]:
                    # Only when someone made TSA公司/TSB工厂 VIP beforehand: keep the document's priority.
                    override_reason = "按工具包文档原样录入"
                ticket = core.ticket_create(
                    recorded_by=users["engineer"],
                    customer=customer,
                    contact=contact,
                    contact_details=row["contact_details"],
                    source=row["source"],
                    occurred_at=occurred_at,
                    description=row["description"],
                    error_message=row["error_message"],
                    problem_type=row["problem_type"],
                    impact_scope=row["impact_scope"],
                    users_affected=row["users_affected"],
                    frequency=Frequency.PERSISTENT,
                    business_urgency=row["business_urgency"],
                    peak_time=False,
                    priority=row["priority"],
                    suggested_priority=suggestion.priority,
                    priority_override_reason=override_reason,
                    preliminary_judgement=row["preliminary_judgement"],
                    owner=users[row["owner"]],
                    recorded_at=datetime(*row["recorded_at"], tzinfo=DOCUMENT_TZ),
                )
                created.append(ticket.number)
        return created

    # Chapters 2–6 -------------------------------------------------------------------------------

    def seed_chapters(self, users):
        """Each chapter's demo.seed on the latest tickets (analyses, designs, plans, surveys, articles).

        They run in chapter order, since each builds on the one before (a plan needs an approved
        design). Each skips tickets it has already worked, so running seed_demo again adds nothing twice.
        """
        tickets = list(
            Ticket.objects.select_related("owner", "customer").order_by("-recorded_at")[:CHAPTER_TICKETS]
        )
        now = timezone.now()
        for module in CHAPTER_DEMOS:
            with transaction.atomic():
                import_module(module).seed(tickets=tickets, users=users, now=now)
            for ticket in tickets:
                ticket.refresh_from_db(fields=["stage"])

    # Customers ----------------------------------------------------------------------------------

    def ensure_customers(self):
        """The customer pool, 2-4 contacts each. Contacts depend on the customer's name only, not --seed."""
        pool = []
        for name, tier, domain, kind in demo_data.CUSTOMERS:
            with transaction.atomic():
                customer = core.customer_get_or_create(name=name, tier=tier)
                contacts = [
                    core.contact_get_or_create(customer=customer, name=contact_name, details=details)
                    for contact_name, details in demo_contacts(name, domain)
                ]
            pool.append(
                {
                    "id": customer.pk,
                    "vip": customer.raises_priority,
                    "tier": customer.tier,
                    "kind": kind,
                    "contacts": [(contact.pk, contact.name, contact.details) for contact in contacts],
                }
            )
        return pool

    # Generated tickets --------------------------------------------------------------------------

    def insert_tickets(self, specs, users, *, batch_size, with_history) -> int:
        """Reserve numbers per local recorded day, then bulk-insert in batches, grouped children last."""
        by_day = defaultdict(list)
        tz = timezone.get_current_timezone()
        for spec in specs:
            by_day[spec["recorded_at"].astimezone(tz).date()].append(spec)
        for day, day_specs in sorted(by_day.items()):
            day_specs.sort(key=lambda spec: spec["recorded_at"])
            for spec, number in zip(
                day_specs, core.ticket_numbers_reserve(day=day, count=len(day_specs)), strict=True
            ):
                spec["number"] = number

        # Children go in after every other ticket, so their parent has a primary key by then. Within
        # each phase, recorded order: ids grow with time like tickets logged one by one.
        by_time = sorted(specs, key=lambda spec: spec["recorded_at"])
        phases = [
            [s for s in by_time if s["_parent"] is None],
            [s for s in by_time if s["_parent"] is not None],
        ]
        users_by_id = {user.pk: user for user in users.values()}
        self.calendar = Calendar.load()  # one snapshot for every batch's SLA due times
        done, history_rows = 0, 0
        for phase in phases:
            for start in range(0, len(phase), batch_size):
                batch = phase[start : start + batch_size]
                history_rows += self.insert_batch(batch, users_by_id, with_history=with_history)
                done += len(batch)
                if self.verbosity >= 2:
                    self.stdout.write(
                        _("%(done)d / %(total)d tickets inserted") % {"done": done, "total": len(specs)}
                    )
        return history_rows

    @transaction.atomic
    def insert_batch(self, batch, users_by_id, *, with_history) -> int:
        tickets = []
        for spec in batch:
            fields = {key: value for key, value in spec.items() if not key.startswith("_")}
            if spec["_parent"] is not None:
                fields["parent_id"] = spec["_parent"]["_pk"]
            tickets.append(Ticket(**fields))
        Ticket.objects.bulk_create(tickets)
        for spec, ticket in zip(batch, tickets, strict=True):
            spec["_pk"] = ticket.pk
        sla.sla_start_many(tickets, calendar=self.calendar)
        # bulk_create sends no post_save: put the tickets into the similar-ticket search here.
        tickets_index(tickets)
        if not with_history:
            return 0
        for ticket in tickets:
            ticket._history_user = users_by_id[ticket.recorded_by_id]
            ticket._history_date = ticket.recorded_at
        return len(Ticket.history.bulk_history_create(tickets))

    # Output -------------------------------------------------------------------------------------

    def report_figures(
        self,
        *,
        document_created,
        customers,
        new_customers,
        tickets,
        history_rows,
        setup_seconds,
        generated_seconds,
        elapsed,
    ):
        write = self.stdout.write
        if document_created:
            write(_("Document rows created: %(numbers)s") % {"numbers": ", ".join(document_created)})
        else:
            write(_("Document rows already present: nothing added."))
        write(
            _("Demo customers: %(total)d in the pool, %(new)d of them new.")
            % {"total": len(customers), "new": new_customers}
        )
        rate = tickets / generated_seconds if generated_seconds > 0 else 0
        write(
            _(
                "Generated tickets: %(tickets)d, history records: %(history)d, "
                "in %(seconds).1f s (%(rate)d tickets/s)."
            )
            % {"tickets": tickets, "history": history_rows, "seconds": generated_seconds, "rate": rate}
        )
        write(
            _("Total time: %(seconds).1f s (users, customers and document rows: %(setup).1f s).")
            % {"seconds": elapsed, "setup": setup_seconds}
        )

    def report_credentials(self, credentials):
        write = self.stdout.write
        write("")
        write(self.style.MIGRATE_HEADING(_("Demo users (log in at /accounts/login/):")))
        rows = [(username, str(role), password) for username, role, password in credentials]
        name_width = max(display_width(username) for username, _role, _password in rows)
        role_width = max(display_width(role) for _username, role, _password in rows)
        for username, role, password in rows:
            shown = password or _("(set earlier; --reset-passwords sets a new one)")
            write(f"  {pad(username, name_width)}  {pad(role, role_width)}  {shown}")


def display_width(text: str) -> int:
    """Terminal columns: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def pad(text: str, width: int) -> str:
    return text + " " * (width - display_width(text))


def demo_contacts(customer_name: str, domain: str) -> list[tuple[str, str]]:
    """2-4 contacts (王女士 style or a full name) with a mobile, landline or e-mail address."""
    rng = random.Random(f"contacts:{customer_name}")
    contacts = {}
    wanted = rng.randint(2, 4)
    while len(contacts) < wanted:
        surname, surname_pinyin = rng.choice(demo_data.SURNAMES)
        if rng.random() < 0.6:
            name = surname + rng.choice(demo_data.TITLES)
            details = mobile_number(rng)
        else:
            given, given_pinyin = rng.choice(demo_data.GIVEN_NAMES)
            name = surname + given
            roll = rng.random()
            if roll < 0.4:
                details = f"{given_pinyin}.{surname_pinyin}@{domain}"
            elif roll < 0.55:
                details = f"{rng.choice(demo_data.LANDLINE_AREAS)}-{rng.randint(60000000, 89999999)}"
            else:
                details = mobile_number(rng)
        contacts.setdefault(name, details)
    return list(contacts.items())


def mobile_number(rng) -> str:
    return f"{rng.choice(demo_data.MOBILE_PREFIXES)}{rng.randint(0, 99999999):08d}"


class TicketGenerator:
    """Plausible tickets as dicts of Ticket field values (plus _parent); everything drawn from one rng."""

    def __init__(self, rng, *, customers, users):
        self.rng = rng
        self.customers = customers
        self.customer_picker = Picker(
            rng, {index: TIER_WEIGHTS[c["tier"]] for index, c in enumerate(customers)}
        )
        self.source = Picker(rng, SOURCE_WEIGHTS)
        self.problem_type = Picker(rng, TYPE_WEIGHTS)
        self.impact = Picker(rng, IMPACT_WEIGHTS)
        self.urgency = Picker(rng, URGENCY_WEIGHTS)
        self.hour = Picker(rng, dict(enumerate(HOUR_WEIGHTS)))
        self.stage_pickers = [(limit, Picker(rng, weights)) for limit, weights in STAGE_WEIGHTS_BY_AGE]
        self.owner_ids = {
            kind: [users[name].pk for name in names] for kind, names in demo_data.OWNERS_BY_TYPE.items()
        }
        self.recorder_ids = [users[name].pk for name in demo_data.RECORDERS]
        self.tz = timezone.get_current_timezone()
        self.now = timezone.localtime(timezone.now(), self.tz).replace(second=0, microsecond=0)
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
        problem_type = self.problem_type()
        scenario = rng.choice(demo_data.SCENARIOS[problem_type])
        errors = scenario[1]
        if incident:
            # A batch of complaints is recognised by its shared error message, when there is one.
            errors = [error for error in errors if error not in ("", "无")] or errors
        occurred_at = self.occurred_at()
        return self.fill(
            {
                "problem_type": problem_type,
                "occurred_at": occurred_at,
                "error_message": rng.choice(errors),
                "preliminary_judgement": rng.choice(scenario[2]),
                "_symptom": scenario[0],
                "_parent": None,
            },
            customer=self.customers[self.customer_picker()],
        )

    def child_of(self, parent: dict) -> dict:
        """Another complaint about the same incident: same symptom and error, often another customer."""
        rng = self.rng
        same_customer = rng.random() < 0.4
        customer = parent["_customer"] if same_customer else self.customers[self.customer_picker()]
        occurred_at = min(parent["occurred_at"] + timedelta(minutes=rng.randint(0, 360)), self.now)
        child = self.fill(
            {
                "problem_type": parent["problem_type"],
                "occurred_at": occurred_at,
                "error_message": parent["error_message"],
                "preliminary_judgement": parent["preliminary_judgement"],
                "_symptom": parent["_symptom"],
                "_parent": parent,
            },
            customer=customer,
        )
        # The parent was the first complaint logged: the others come in after it.
        earliest = parent["recorded_at"] + timedelta(minutes=rng.randint(1, 30))
        child["recorded_at"] = min(max(child["recorded_at"], earliest), self.now)
        child["stage"] = parent["stage"] if rng.random() < 0.8 else self.stage(child["recorded_at"])
        return child

    def fill(self, spec: dict, *, customer: dict) -> dict:
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
                priority, override_reason = PRIORITY_ORDER[index], rng.choice(demo_data.OVERRIDE_REASONS)
        recorded_at = min(spec["occurred_at"] + self.recording_delay(), self.now)
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
                "owner_id": rng.choice(self.owner_ids[spec["problem_type"]]),
                "recorded_by_id": rng.choice(self.recorder_ids),
                "recorded_at": recorded_at,
                "stage": self.stage(recorded_at),
                "_customer": customer,
            }
        )
        return spec

    def description(self, symptom, impact, frequency, kind, users_affected) -> str:
        rng = self.rng
        impact_text = rng.choice(demo_data.IMPACTS[impact]).format(
            n=users_affected,
            activity=rng.choice(demo_data.ACTIVITIES[kind]),
            department=rng.choice(demo_data.DEPARTMENTS[kind]),
            person=rng.choice(demo_data.SURNAMES)[0] + rng.choice(demo_data.TITLES),
        )
        parts = [symptom, impact_text, rng.choice(demo_data.FREQUENCY_PHRASES[frequency])]
        return ",".join(part for part in parts if part)

    def occurred_at(self) -> datetime:
        rng = self.rng
        # Denser towards today: the desk is busier now than six months ago.
        days_back = int(DAYS_BACK * (1 - math.sqrt(rng.random())))
        day = self.now.date() - timedelta(days=days_back)
        if day.weekday() >= 5 and rng.random() < 0.6 and days_back + day.weekday() - 4 < DAYS_BACK:
            day -= timedelta(days=day.weekday() - 4)  # most weekend calls move to Friday
        moment = datetime.combine(day, time(self.hour(), rng.randrange(60)), tzinfo=self.tz)
        if moment >= self.now:
            moment = self.now - timedelta(minutes=rng.randint(5, 600))
        return moment

    def recording_delay(self) -> timedelta:
        roll = self.rng.random()
        if roll < 0.7:
            return timedelta(minutes=self.rng.randint(1, 15))
        if roll < 0.92:
            return timedelta(minutes=self.rng.randint(16, 120))
        return timedelta(minutes=self.rng.randint(121, 24 * 60))

    def stage(self, recorded_at) -> str:
        age_days = (self.now - recorded_at).days
        for limit, picker in self.stage_pickers:
            if limit is None or age_days < limit:
                return picker()
        raise AssertionError("unreachable")
