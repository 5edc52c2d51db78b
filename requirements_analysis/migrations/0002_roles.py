"""Engineers, managers and admins work the requirement analysis: view, add, change and delete items and stakeholders."""

from django.db import migrations

from toolkit.roles import grant_app_permissions, revoke_app_permissions

PERMS = [
    f"{action}_{model}"
    for model in ("requirementitem", "stakeholder")
    for action in ("view", "add", "change", "delete")
]
ROLES = {"engineer": PERMS, "manager": PERMS, "admin": PERMS}


def grant(apps, schema_editor):
    grant_app_permissions(apps, "requirements_analysis", ROLES)


def revoke(apps, schema_editor):
    revoke_app_permissions(apps, "requirements_analysis", ROLES)


class Migration(migrations.Migration):
    dependencies = [("requirements_analysis", "0001_initial"), ("toolkit", "0002_roles")]

    operations = [migrations.RunPython(grant, revoke)]
