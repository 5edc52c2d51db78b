"""The three roles and what each may do: one table, synced to the role groups after every migrate.

Group names are stable identifiers; labels are translated for display. ``ROLE_PERMISSIONS`` below is
the only place that grants permissions to a role: a new app (or a new permission) adds its rows there.
``sync_roles`` runs on ``post_migrate`` (connected in toolkit/apps.py), so ``migrate`` on a fresh or an
existing database, and the test suite's flushes, leave each group holding exactly the table's set:
missing groups are created, missing permissions added, permissions not in the table removed. The
``*_roles`` data migrations that granted permissions before this table are kept as history only.
"""

from django.apps import apps as global_apps
from django.db import DEFAULT_DB_ALIAS
from django.utils.translation import gettext_lazy as _

ENGINEER = "engineer"
MANAGER = "manager"
ADMIN = "admin"

ROLE_LABELS = {
    ENGINEER: _("Engineer"),
    MANAGER: _("Manager"),
    ADMIN: _("Administrator"),
}


def _crud(app_label: str, *models: str, actions=("view", "add", "change", "delete")) -> list[str]:
    return [f"{app_label}.{action}_{model}" for model in models for action in actions]


# Engineers work tickets and every chapter of them.
_ENGINEER = [
    "toolkit.view_ticket",
    "toolkit.add_ticket",
    "toolkit.change_ticket",
    "toolkit.export_ticket",
    "toolkit.view_customer",
    "toolkit.add_customer",
    "toolkit.view_contact",
    "toolkit.add_contact",
    # Saved views of the table, each person's own (the pages and diagnosis.services filter by user;
    # no view permission, so a staff engineer's admin does not list everyone's).
    "diagnosis.add_savedfilter",
    "diagnosis.delete_savedfilter",
    *_crud("requirements_analysis", "requirementitem", "stakeholder"),
    *_crud("solutions", "solutiondesign", "solutionoption", "criterion", "score", "coverage", "risk"),
    *_crud("tracking", "task", "progressentry"),
    *_crud("evaluation", "verification", "followup", "recurrence", "improvementaction", "survey"),
    # Survey responses are written only by the customer through the public link.
    "evaluation.view_surveyresponse",
    "knowledge.view_article",
    "knowledge.view_tag",
    "knowledge.view_articleversion",
    "knowledge.view_articlelink",
    "knowledge.add_article",
    "knowledge.change_article",
    "knowledge.add_tag",
    "knowledge.add_articlelink",
    "knowledge.add_helpfulvote",
    # Teams: engineers see them (a lead keeps their own team's members, checked in teams.services).
    "teams.view_team",
    "teams.view_routingrule",
    "teams.view_follower",
]

# Managers also see contact details and the team's results, import, correct customers and contacts,
# approve solution designs, void survey links, review knowledge, and see saved filters in the admin.
_MANAGER = [
    *_ENGINEER,
    "toolkit.view_contact_details",
    "toolkit.import_ticket",
    "toolkit.change_customer",
    "toolkit.change_contact",
    "toolkit.view_exportlog",
    "toolkit.view_contactdetailview",  # who saw which contact details
    "toolkit.view_slapolicy",
    "toolkit.view_businesscalendar",
    "toolkit.view_calendarday",
    *_crud("diagnosis", "savedfilter"),
    "solutions.approve_solutiondesign",
    "evaluation.void_survey",
    "evaluation.view_reports",  # the results page and the dashboard's figures about the team
    "knowledge.publish_article",
    "knowledge.delete_article",
    "knowledge.change_tag",
    "knowledge.delete_tag",
    "knowledge.delete_articlelink",
    *_crud("teams", "team", "membership", "routingrule"),
]

# Admins also delete, manage users and their groups, the SLA settings, the calendar and the chat
# webhooks, see deliveries and reminders, unlock locked-out accounts and remove lost second factors.
_ADMIN = [
    *_MANAGER,
    "toolkit.delete_ticket",
    "toolkit.delete_customer",
    "toolkit.delete_contact",
    "toolkit.view_user",
    "toolkit.add_user",
    "toolkit.change_user",
    "auth.view_group",
    "auth.change_group",
    "toolkit.change_slapolicy",
    "toolkit.change_businesscalendar",
    "toolkit.add_calendarday",
    "toolkit.change_calendarday",
    "toolkit.delete_calendarday",
    *_crud("toolkit", "chatwebhook"),
    "toolkit.view_delivery",
    "toolkit.view_reminder",
    "axes.view_accessattempt",
    "axes.delete_accessattempt",
    "axes.view_accesslog",
    "axes.view_accessfailurelog",
    "otp_totp.view_totpdevice",
    "otp_totp.delete_totpdevice",
    "otp_static.view_staticdevice",
    "otp_static.delete_staticdevice",
    # Inbound mail that could not be processed: seen and processed again by an admin.
    "inbound.view_inboundmail",
    "inbound.change_inboundmail",
    # Outbound event webhooks: the endpoints, and their delivery log (read-only).
    *_crud("hooks", "webhookendpoint"),
    "hooks.view_webhookdelivery",
    "toolkit.view_notification",
]

# role → its permissions as "app_label.codename"
ROLE_PERMISSIONS: dict[str, list[str]] = {ENGINEER: _ENGINEER, MANAGER: _MANAGER, ADMIN: _ADMIN}


def user_role_labels(user):
    names = {group.name for group in user.groups.all()}
    return [label for role, label in ROLE_LABELS.items() if role in names]


def sync_roles(*, apps=global_apps, using: str = DEFAULT_DB_ALIAS, app_labels=None) -> None:
    """Make each role group hold exactly its permissions of ROLE_PERMISSIONS (of these apps, or all).

    Idempotent. Permissions are matched by app label and codename; one that does not exist (yet) is
    left out, as when migrating backwards (tests/toolkit/test_roles.py checks the table against the
    models). Permissions of other apps are left alone when app_labels is given.
    """
    try:
        Group = apps.get_model("auth", "Group")
        Permission = apps.get_model("auth", "Permission")
    except LookupError:  # auth not installed, or migrated to zero
        return
    wanted = {role: {tuple(name.split(".", 1)) for name in names} for role, names in ROLE_PERMISSIONS.items()}
    permissions = Permission.objects.using(using)
    Link = Group.permissions.through
    links = Link.objects.using(using)
    if app_labels is not None:
        permissions = permissions.filter(content_type__app_label__in=app_labels)
        links = links.filter(permission__content_type__app_label__in=app_labels)
    by_name = {
        (app_label, codename): pk
        for pk, app_label, codename in permissions.values_list("pk", "content_type__app_label", "codename")
    }
    for role in ROLE_PERMISSIONS:
        group, _created = Group.objects.using(using).get_or_create(name=role)
        target = {by_name[name] for name in wanted[role] if name in by_name}
        current = set(links.filter(group=group).values_list("permission_id", flat=True))
        links.filter(group=group, permission__in=current - target).delete()
        Link.objects.using(using).bulk_create(
            [Link(group=group, permission_id=pk) for pk in target - current]
        )


def sync_roles_after_migrate(sender, *, apps=global_apps, using=DEFAULT_DB_ALIAS, **kwargs) -> None:
    """post_migrate receiver: runs once per app, after auth's create_permissions made that app's rows."""
    sync_roles(apps=apps, using=using, app_labels=[sender.label])
