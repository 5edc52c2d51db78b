"""SPEC's default SLA policies, the business calendar row, and the admins' permissions on them."""

from django.db import migrations

DAY = 9 * 60  # one business day, 09:00–18:00
DEFAULTS = [
    # priority, first response, resolution, clock, breach repeat
    ("P0", 15, 4 * 60, "24x7", 30),
    ("P1", 60, 8 * 60, "24x7", 60),
    ("P2", 4 * 60, 3 * DAY, "business", 4 * 60),
    ("P3", DAY, 10 * DAY, "business", DAY),
]
ADMIN = [
    "view_slapolicy", "change_slapolicy",
    "view_businesscalendar", "change_businesscalendar",
    "view_calendarday", "add_calendarday", "change_calendarday", "delete_calendarday",
    "view_chatwebhook", "add_chatwebhook", "change_chatwebhook", "delete_chatwebhook",
    "view_delivery", "view_reminder",
]
MANAGER = ["view_slapolicy", "view_businesscalendar", "view_calendarday"]


def create(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    SlaPolicy = apps.get_model("toolkit", "SlaPolicy")
    for priority, response, resolution, clock, repeat in DEFAULTS:
        SlaPolicy.objects.get_or_create(
            priority=priority,
            defaults={
                "first_response_minutes": response,
                "resolution_minutes": resolution,
                "clock": clock,
                "breach_repeat_minutes": repeat,
            },
        )
    apps.get_model("toolkit", "BusinessCalendar").objects.get_or_create(pk=1)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in (("admin", ADMIN), ("manager", MANAGER)):
        group = Group.objects.filter(name=name).first()
        if group:
            group.permissions.add(*Permission.objects.filter(content_type__app_label="toolkit", codename__in=codenames))


class Migration(migrations.Migration):
    dependencies = [("toolkit", "0003_sla"), ("toolkit", "0002_roles")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
