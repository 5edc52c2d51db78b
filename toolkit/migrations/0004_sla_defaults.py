"""SPEC's default SLA policies and the business calendar row.

The roles' permissions on them, once granted here too, are rows of toolkit/roles.py's table now.
"""

from django.db import migrations

DAY = 9 * 60  # one business day, 09:00–18:00
DEFAULTS = [
    # priority, first response, resolution, clock, breach repeat
    ("P0", 15, 4 * 60, "24x7", 30),
    ("P1", 60, 8 * 60, "24x7", 60),
    ("P2", 4 * 60, 3 * DAY, "business", 4 * 60),
    ("P3", DAY, 10 * DAY, "business", DAY),
]


def create(apps, schema_editor):
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


class Migration(migrations.Migration):
    dependencies = [("toolkit", "0003_sla"), ("toolkit", "0002_roles")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
