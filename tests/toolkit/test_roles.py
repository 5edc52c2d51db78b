"""The role table (toolkit/roles.py) is what the role groups hold, after migrate, a flush, or any drift."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from toolkit.roles import ROLE_PERMISSIONS, sync_roles


def _held():
    return {
        group.name: {
            f"{app_label}.{codename}"
            for app_label, codename in group.permissions.values_list("content_type__app_label", "codename")
        }
        for group in Group.objects.filter(name__in=ROLE_PERMISSIONS)
    }


def _table():
    return {role: set(names) for role, names in ROLE_PERMISSIONS.items()}


@pytest.mark.django_db
def test_every_permission_in_the_table_exists():
    existing = {
        f"{app_label}.{codename}"
        for app_label, codename in Permission.objects.values_list("content_type__app_label", "codename")
    }
    unknown = {name for names in ROLE_PERMISSIONS.values() for name in names} - existing
    assert unknown == set()


@pytest.mark.django_db
def test_after_migrate_each_role_holds_exactly_its_rows_of_the_table():
    assert _held() == _table()


@pytest.mark.django_db
def test_sync_puts_back_a_missing_group_adds_missing_and_removes_extra_permissions():
    Group.objects.get(name="manager").delete()
    engineer = Group.objects.get(name="engineer")
    engineer.permissions.remove(Permission.objects.get(codename="view_ticket"))
    engineer.permissions.add(Permission.objects.get(codename="delete_ticket"))
    admin = Group.objects.get(name="admin")
    admin.permissions.add(Permission.objects.get(codename="add_session"))  # an app the table does not name

    sync_roles()
    sync_roles()  # idempotent

    assert _held() == _table()


@pytest.mark.django_db
def test_a_sync_of_some_apps_leaves_the_other_apps_alone():
    engineer = Group.objects.get(name="engineer")
    engineer.permissions.remove(
        *Permission.objects.filter(content_type__app_label__in=["toolkit", "tracking"])
    )

    sync_roles(app_labels=["tracking"])

    held = _held()["engineer"]
    assert not {name for name in held if name.startswith("toolkit.")}
    assert {name for name in held if name.startswith("tracking.")} == {
        name for name in ROLE_PERMISSIONS["engineer"] if name.startswith("tracking.")
    }


def test_a_flush_brings_the_roles_back_through_post_migrate(transactional_db):
    call_command("flush", interactive=False, verbosity=0)

    assert _held() == _table()
