"""Engineers, managers and admins work the solution design; managers and admins also approve it."""

from django.db import migrations

from toolkit.roles import grant_app_permissions, revoke_app_permissions

MODELS = ("solutiondesign", "solutionoption", "criterion", "score", "coverage", "risk")
WORK = [f"{action}_{model}" for model in MODELS for action in ("view", "add", "change", "delete")]
APPROVE = ["approve_solutiondesign"]
ROLES = {"engineer": WORK, "manager": WORK + APPROVE, "admin": WORK + APPROVE}


def grant(apps, schema_editor):
    grant_app_permissions(apps, "solutions", ROLES)


def revoke(apps, schema_editor):
    revoke_app_permissions(apps, "solutions", ROLES)


class Migration(migrations.Migration):
    dependencies = [("solutions", "0001_initial"), ("toolkit", "0002_roles")]

    operations = [migrations.RunPython(grant, revoke)]
