"""python manage.py fetch_mail — one poll of the inbound mailbox, the same work the periodic task does."""

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from inbound import mailbox, services
from inbound.models import InboundStatus


class Command(BaseCommand):
    help = "Poll the inbound mailbox (INBOUND_EMAIL_URL) once: new mail opens tickets, replies join theirs."

    def handle(self, *args, **options):
        try:
            outcome = services.poll_once()
        except ImproperlyConfigured as error:
            if mailbox.configured() is not None:  # e.g. INBOUND_EMAIL_CA_FILE cannot be loaded
                raise CommandError(str(error)) from None
            raise CommandError(_("Inbound mail is off: INBOUND_EMAIL_URL is not set.")) from None
        except (OSError, mailbox.IMAPError) as error:
            raise CommandError(
                _("The mailbox could not be polled: %(error)s") % {"error": mailbox.describe(error)}
            ) from None
        self.stdout.write(
            _(
                "%(processed)d processed, %(ignored)d ignored (auto-replies, bounces, loops), "
                "%(failed)d failed (kept for an admin), %(before)d taken before."
            )
            % {
                "processed": outcome.statuses[InboundStatus.PROCESSED],
                "ignored": outcome.statuses[InboundStatus.IGNORED],
                "failed": outcome.statuses[InboundStatus.FAILED],
                "before": outcome.already_taken,
            }
        )
        if outcome.left:
            self.stdout.write(_("%(left)d mails are left for the next poll.") % {"left": outcome.left})
