"""Engineers, managers and admins work the evaluation (verification, follow-ups, recurrences, improvement
actions) and may all create survey links for the customer. Survey responses are written only by the
customer through the public link, so the roles may view them but not add or change them."""

from django.db import migrations

from toolkit.roles import grant_app_permissions, revoke_app_permissions

MODELS = ("verification", "followup", "recurrence", "improvementaction", "survey")
WORK = [f"{action}_{model}" for model in MODELS for action in ("view", "add", "change", "delete")]
WORK += ["view_surveyresponse"]
# void_survey arrived with 0003 (which grants it on existing databases; here it is found only once the
# permission exists, e.g. when the tests put the role grants back after a flush).
ROLES = {"engineer": WORK, "manager": [*WORK, "void_survey"], "admin": [*WORK, "void_survey"]}


def grant(apps, schema_editor):
    grant_app_permissions(apps, "evaluation", ROLES)


def revoke(apps, schema_editor):
    revoke_app_permissions(apps, "evaluation", ROLES)


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0001_initial"), ("toolkit", "0002_roles")]

    operations = [migrations.RunPython(grant, revoke)]
