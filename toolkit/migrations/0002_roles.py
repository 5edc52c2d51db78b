"""Create the engineer / manager / admin groups with their permissions."""

from django.db import migrations

ENGINEER = [
    "toolkit.view_ticket",
    "toolkit.add_ticket",
    "toolkit.change_ticket",
    "toolkit.export_ticket",
    "toolkit.view_customer",
    "toolkit.add_customer",
    "toolkit.view_contact",
    "toolkit.add_contact",
]
MANAGER = ENGINEER + [
    "toolkit.view_contact_details",
    "toolkit.import_ticket",
    "toolkit.change_customer",
    "toolkit.change_contact",
    "toolkit.view_exportlog",
]
ADMIN = MANAGER + [
    "toolkit.delete_ticket",
    "toolkit.delete_customer",
    "toolkit.delete_contact",
    "toolkit.view_user",
    "toolkit.add_user",
    "toolkit.change_user",
    "auth.view_group",
    "auth.change_group",
]
ROLES = {"engineer": ENGINEER, "manager": MANAGER, "admin": ADMIN}


def ensure_permissions(apps):
    # Permissions are normally created after all migrations; roles need them now.
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None


def grant(apps, roles):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, perms in roles.items():
        group, _ = Group.objects.get_or_create(name=role)
        for perm in perms:
            app_label, codename = perm.split(".")
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


def create_roles(apps, schema_editor):
    ensure_permissions(apps)
    grant(apps, ROLES)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("toolkit", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
