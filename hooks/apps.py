from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class HooksConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "hooks"
    verbose_name = _("Outbound webhooks")

    def ready(self):
        from toolkit import chapters, signals

        from . import services

        # Ticket events recorded in the change's own transaction (toolkit.signals).
        signals.ticket_event.connect(services.record_ticket_event, dispatch_uid="hooks.record_ticket_event")
        signals.sla_reminders_recorded.connect(
            services.record_sla_reminders, dispatch_uid="hooks.record_sla_reminders"
        )
        endpoint = self.get_model("WebhookEndpoint")
        post_save.connect(services.endpoints_changed, sender=endpoint, dispatch_uid="hooks.endpoint_saved")
        post_delete.connect(
            services.endpoints_changed, sender=endpoint, dispatch_uid="hooks.endpoint_deleted"
        )
        # Deliveries due for a retry, and claims a dead worker left, queued again by the periodic task.
        chapters.register(chapters.Chapter(label="hooks", order=95, scans=[services.deliveries_due_scan]))
