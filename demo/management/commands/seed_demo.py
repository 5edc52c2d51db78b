"""`manage.py seed_demo [--tickets N]`: demo users, the document's two rows and N generated tickets."""

import random
import time as clock
import unicodedata
from collections import defaultdict
from datetime import datetime
from importlib import import_module
from pathlib import Path
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from demo import people
from demo.generator import TicketGenerator, demo_contacts
from demo.logins import logins_read, logins_write, readable_password
from demo.scenarios import scenario_of
from diagnosis.services import suggest_priority
from knowledge.services import tickets_index
from teams import demo as teams_demo
from toolkit import roles, sla
from toolkit import services as core
from toolkit.calendar import Calendar
from toolkit.choices import Frequency, Stage
from toolkit.db import refresh_planner_statistics
from toolkit.models import Customer, SlaPolicy, StageChange, Ticket

# The document's times are Beijing time, whatever TIME_ZONE the installation uses.
DOCUMENT_TZ = ZoneInfo("Asia/Shanghai")
# Chapters 2–6 seed their own demo data, in this order: each builds on the one before (a plan needs
# an approved design).
CHAPTER_DEMOS = [
    "requirements_analysis.demo",
    "solutions.demo",
    "tracking.demo",
    "evaluation.demo",
    "knowledge.demo",
]
CHAPTER_OPEN_TICKETS = 120  # the latest open tickets
CHAPTER_HISTORY_TICKETS = 150  # closed tickets, spread over the months the demo spans


class Command(BaseCommand):
    @property
    def help(self):
        # A property so argparse gets a str translated into the active language, not a lazy proxy.
        return _(
            "Load demo data: the users engineer, manager and admin (passwords printed once, when first set), "
            "a few more engineers as owners, the toolkit document's two example rows (TSA公司, TSB工厂, "
            "closed in 2023) through the normal ticket service, about 40 customers with their contacts, "
            "and N generated tickets, each from one problem scenario (login, printing, slow reports, VPN, "
            "…) whose requirements, options, plan and article the chapters' demo data follow. Most "
            "tickets are closed history over the last 180 days; the open ones are recent, mostly within "
            "their SLA. Users, customers, contacts and the document rows are never duplicated; every run "
            "adds another N generated tickets (use --tickets 0 to add none). Generated tickets are "
            "bulk-inserted with numbers reserved per recorded day, so their history holds one 'created' "
            "record each (dated when it was recorded, by the recorder) but no stage changes, and ticket "
            "save() signals do not run for them."
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
            "--logins-file",
            type=Path,
            help=_(
                "Keep the demo users' passwords in this file (readable by you only) and print them on "
                "every run; a user without a password there gets a new one (used by “dev.py run”)."
            ),
        )
        parser.add_argument(
            "--batch-size", type=int, default=5000, help=_("Rows per bulk insert (default 5000).")
        )
        parser.add_argument(
            "--no-history",
            action="store_true",
            help=_("Skip the history records of generated tickets (faster)."),
        )

    def handle(
        self, *args, tickets, seed, reset_passwords, if_empty, logins_file, batch_size, no_history, **options
    ):
        if tickets < 0:
            raise CommandError(_("--tickets must be 0 or more."))
        if batch_size < 1:
            raise CommandError(_("--batch-size must be at least 1."))
        self.verbosity = options["verbosity"]
        started = clock.perf_counter()

        if if_empty and Ticket.objects.exists():
            tickets = 0
        users, credentials = self.ensure_users(reset_passwords=reset_passwords, logins_file=logins_file)
        try:
            document_created = self.ensure_document_rows(users)
            customers_before = Customer.objects.count()
            customers = self.ensure_customers()
            new_customers = Customer.objects.count() - customers_before
            setup_seconds = clock.perf_counter() - started

            generated_started = clock.perf_counter()
            self.calendar = Calendar.load()  # one snapshot for the generator and every batch's due times
            generator = TicketGenerator(
                random.Random(seed),
                customers=customers,
                users=users,
                policies={policy.priority: policy for policy in SlaPolicy.objects.all()},
                calendar=self.calendar,
            )
            specs = generator.generate(tickets)
            history_rows = self.insert_tickets(
                specs, users, batch_size=batch_size, with_history=not no_history
            )
            generated_seconds = clock.perf_counter() - generated_started
            # The example teams (数据库组, 网络组, 前端组), their routing rules and the open tickets' teams.
            teams_demo.seed(users=users)
            if document_created or specs:
                self.seed_chapters(users)
            if specs:
                refresh_planner_statistics()

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

    def ensure_users(self, *, reset_passwords, logins_file):
        """The three login users and the owners, who cannot log in. A login user's password is new
        when the user is, when asked, or when the logins file does not know it; else the file's, if it
        still logs in. Returns the users and [(username, role label, password or None)]."""
        known = logins_read(logins_file) if logins_file else {}
        with transaction.atomic():
            users, credentials = self._ensure_users(
                reset_passwords=reset_passwords, renew_unknown=logins_file is not None, known=known
            )
        if logins_file:
            logins_write(
                logins_file,
                [
                    {"username": name, "role": role, "password": password}
                    for name, role, password in credentials
                ],
            )
        return users, credentials

    def _ensure_users(self, *, reset_passwords, renew_unknown, known):
        User = get_user_model()
        group_names = [roles.ENGINEER, roles.MANAGER, roles.ADMIN]
        groups = {group.name: group for group in Group.objects.filter(name__in=group_names)}
        if len(groups) != len(group_names):
            raise CommandError(_("The role groups are missing: run “manage.py migrate” first."))

        users, credentials = {}, []
        for spec in people.LOGIN_USERS:
            is_admin = spec["role"] == roles.ADMIN
            user, created = User.objects.get_or_create(
                username=spec["username"],
                defaults={
                    "first_name": spec["first_name"],
                    "job_title": spec["job_title"],
                    # example.com never receives mail; in development mail is saved as files.
                    "email": f"{spec['username']}@example.com",
                    "is_staff": is_admin,
                    "is_superuser": is_admin,
                },
            )
            user.groups.add(groups[spec["role"]])
            kept = known.get(user.username)
            if created or reset_passwords or (renew_unknown and kept is None):
                password = readable_password()
                user.set_password(password)
                user.save(update_fields=["password"])
            elif kept is not None and user.check_password(kept):
                password = kept
            else:
                password = None  # set earlier, or changed by its user since: left alone
            credentials.append((user.username, str(roles.ROLE_LABELS[spec["role"]]), password))
            users[user.username] = user

        engineer = users["engineer"]
        if engineer.manager_id is None:
            engineer.manager = users["manager"]
            engineer.save(update_fields=["manager"])

        for spec in people.OWNER_USERS:
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
        """The document's two rows through toolkit.services.ticket_create, once. Returns new numbers.

        They are from 2023: logged as closed history (both SLA targets met, no reminders), with the
        closing recorded in their stage history, as an import of history does.
        """
        created = []
        for row in people.DOCUMENT_ROWS:
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
                owner = users[row["owner"]]
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
                    owner=owner,
                    recorded_at=datetime(*row["recorded_at"], tzinfo=DOCUMENT_TZ),
                    stage=Stage.CLOSED,
                )
                StageChange.objects.create(
                    ticket=ticket,
                    from_stage=Stage.NEW,
                    to_stage=Stage.CLOSED,
                    reason=row["close_reason"],
                    changed_by=owner,
                    changed_at=datetime(*row["closed_at"], tzinfo=DOCUMENT_TZ),
                )
                created.append(ticket.number)
        return created

    # Chapters 2–6 -------------------------------------------------------------------------------

    def chapter_tickets(self) -> list[Ticket]:
        """The tickets the chapters work on: the latest open ones, and closed ones spread over the
        months (so reports and charts have history), the document's rows among them."""
        tickets = Ticket.objects.select_related("owner", "customer", "contact")
        open_tickets = list(
            tickets.filter(stage__in=Stage.open_stages()).order_by("-recorded_at")[:CHAPTER_OPEN_TICKETS]
        )
        closed_ids = list(
            Ticket.objects.filter(stage=Stage.CLOSED)
            .order_by("recorded_at", "pk")
            .values_list("pk", flat=True)
        )
        step = max(1, len(closed_ids) // CHAPTER_HISTORY_TICKETS)
        chosen = set(closed_ids[:2]) | set(closed_ids[::step][-CHAPTER_HISTORY_TICKETS:])
        history = list(tickets.filter(pk__in=chosen).order_by("-recorded_at"))
        return open_tickets + history

    def seed_chapters(self, users):
        """Each chapter's demo.seed (analyses, designs, plans, surveys, articles) on the tickets made
        from a known scenario, which tells each chapter what this ticket's problem needs.

        Each chapter skips tickets it has already worked, so running seed_demo again adds nothing twice.
        """
        tickets = [ticket for ticket in self.chapter_tickets() if scenario_of(ticket) is not None]
        scenarios = {ticket.pk: scenario_of(ticket) for ticket in tickets}
        now = timezone.now()
        for module in CHAPTER_DEMOS:
            with transaction.atomic():
                import_module(module).seed(tickets=tickets, users=users, now=now, scenarios=scenarios)
            for ticket in tickets:
                ticket.refresh_from_db(fields=["stage"])

    # Customers ----------------------------------------------------------------------------------

    def ensure_customers(self):
        """The customer pool, 2-4 contacts each. Contacts depend on the customer's name only, not --seed."""
        pool = []
        for name, tier, domain, kind in people.CUSTOMERS:
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
        # Closed ones get their targets met at once; open ones' clocks run from when they were logged.
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
        name_width = max(display_width(username) for username, _role, _password in credentials)
        role_width = max(display_width(role) for _username, role, _password in credentials)
        for username, role, password in credentials:
            shown = password or _("(set earlier; --reset-passwords sets a new one)")
            write(f"  {pad(username, name_width)}  {pad(role, role_width)}  {shown}")


def display_width(text: str) -> int:
    """Terminal columns: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def pad(text: str, width: int) -> str:
    return text + " " * (width - display_width(text))
