"""The three roles. Group names are stable identifiers; labels are translated for display.

The groups and their permissions are created by migration toolkit/0002_roles.
"""

from django.utils.translation import gettext_lazy as _

ENGINEER = "engineer"
MANAGER = "manager"
ADMIN = "admin"

ROLE_LABELS = {
    ENGINEER: _("Engineer"),
    MANAGER: _("Manager"),
    ADMIN: _("Administrator"),
}


def user_role_labels(user):
    names = {group.name for group in user.groups.all()}
    return [label for role, label in ROLE_LABELS.items() if role in names]


# ---------------------------------------------------------------- data migrations of the chapters' apps


def ensure_permissions(apps) -> None:
    """Permissions are normally created after all migrations; a role grant needs them now."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        # Historical app configs have no models module, which create_permissions takes for "no models".
        # Put back what was there: tests call this with the real app registry too.
        saved = getattr(app_config, "models_module", None)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = saved


def grant_app_permissions(apps, app_label: str, roles: dict[str, list[str]]) -> None:
    """Give each role (an existing group) these codenames of app_label. Used by each app's 0002_roles."""
    ensure_permissions(apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name__in=roles):
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label=app_label, codename__in=roles[group.name])
        )


def revoke_app_permissions(apps, app_label: str, roles) -> None:
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(content_type__app_label=app_label)
    for group in Group.objects.filter(name__in=roles):
        group.permissions.remove(*permissions)
