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
