"""Engineers, managers and admins work the implementation plan: tasks, milestones and the progress log."""

from django.db import migrations

from toolkit.roles import grant_app_permissions, revoke_app_permissions

PERMS = [
    f"{action}_{model}" for model in ("task", "progressentry") for action in ("view", "add", "change", "delete")
]
ROLES = {"engineer": PERMS, "manager": PERMS, "admin": PERMS}


def grant(apps, schema_editor):
    grant_app_permissions(apps, "tracking", ROLES)


def revoke(apps, schema_editor):
    revoke_app_permissions(apps, "tracking", ROLES)


class Migration(migrations.Migration):
    dependencies = [("tracking", "0001_initial"), ("toolkit", "0002_roles")]

    operations = [migrations.RunPython(grant, revoke)]
