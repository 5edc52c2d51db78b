"""Managers and admins keep named saved filters of the diagnosis table."""

from django.db import migrations

PERMS = ["add_savedfilter", "view_savedfilter", "change_savedfilter", "delete_savedfilter"]


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = Permission.objects.filter(content_type__app_label="diagnosis", codename__in=PERMS)
    for group in Group.objects.filter(name__in=["manager", "admin"]):
        group.permissions.add(*perms)


class Migration(migrations.Migration):
    dependencies = [("diagnosis", "0002_initial"), ("toolkit", "0002_roles")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
