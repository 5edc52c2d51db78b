"""Engineers, managers and admins work the requirement analysis: view, add, change and delete items and stakeholders."""

from django.db import migrations

PERMS = [
    f"{action}_{model}"
    for model in ("requirementitem", "stakeholder")
    for action in ("view", "add", "change", "delete")
]
ROLES = ["engineer", "manager", "admin"]


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        # Historical app configs have no models module, which create_permissions takes for "no models".
        # Put back what was there: tests call this with the real app registry too.
        saved = getattr(app_config, "models_module", None)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = saved
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = Permission.objects.filter(content_type__app_label="requirements_analysis", codename__in=PERMS)
    for group in Group.objects.filter(name__in=ROLES):
        group.permissions.add(*perms)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = Permission.objects.filter(content_type__app_label="requirements_analysis", codename__in=PERMS)
    for group in Group.objects.filter(name__in=ROLES):
        group.permissions.remove(*perms)


class Migration(migrations.Migration):
    dependencies = [("requirements_analysis", "0001_initial"), ("toolkit", "0002_roles")]

    operations = [migrations.RunPython(grant, revoke)]
