"""`manage.py check_sla`: one SLA scan, the same work the periodic task does, with no broker involved."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from toolkit.choices import DeliveryStatus
from toolkit.tasks import run_sla_scan


class Command(BaseCommand):
    @property
    def help(self):
        # A property so argparse gets a str translated into the active language, not a lazy proxy.
        return _(
            "Run one SLA scan now, the same work the periodic task does: record the reminders that "
            "have come due and send their deliveries (and any retries that are due) in this process."
        )

    def handle(self, *args, **options):
        outcome = run_sla_scan(inline=True)
        self.stdout.write(
            _("%(reminders)d reminders, %(deliveries)d deliveries")
            % {
                "reminders": len(outcome.reminder_ids),
                "deliveries": len(outcome.delivery_ids),
            }
        )
        for status, count in sorted(outcome.statuses.items()):
            label = DeliveryStatus(status).label if status in DeliveryStatus.values else status
            self.stdout.write(f"  {label}: {count}")
