"""Saved views for everyone who may see the table (issue 14 §2): engineers save, reopen and delete their
own views like managers; nobody sees or deletes another's; people without a role keep none."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from diagnosis.models import SavedFilter
from diagnosis.services import saved_filter_save
from tests.factories import UserFactory

CREATE = reverse("diagnosis:saved_filter_create")


def test_an_engineer_saves_reopens_and_deletes_a_view(engineer_client, engineer):
    response = engineer_client.post(CREATE, {"name": "我的P0", "query_string": "owner=me&priority=P0&page=3"})
    assert response.status_code == 302
    assert response.url == reverse("diagnosis:list") + "?owner=me&priority=P0"
    saved = engineer.saved_filters.get()
    assert saved.query_string == "owner=me&priority=P0"
    table = engineer_client.get(reverse("diagnosis:list")).content.decode()
    assert "我的P0" in table
    assert f'action="{CREATE}"' in table  # the save form is offered to engineers too
    assert "我的P0" in engineer_client.get(reverse("mywork:home")).content.decode()
    engineer_client.post(reverse("diagnosis:saved_filter_delete", args=[saved.pk]))
    assert not SavedFilter.objects.exists()


def test_nobody_deletes_or_sees_another_ones_view(engineer_client, manager):
    theirs = saved_filter_save(user=manager, name="经理的视图", query_string="priority=P1")
    assert engineer_client.post(reverse("diagnosis:saved_filter_delete", args=[theirs.pk])).status_code == 404
    assert "经理的视图" not in engineer_client.get(reverse("diagnosis:list")).content.decode()
    assert "经理的视图" not in engineer_client.get(reverse("mywork:home")).content.decode()
    assert SavedFilter.objects.filter(pk=theirs.pk).exists()


def test_without_a_role_no_views_are_kept(client, no_role_user):
    with pytest.raises(PermissionDenied):
        saved_filter_save(user=no_role_user, name="x", query_string="")
    client.force_login(no_role_user)
    assert client.post(CREATE, {"name": "x", "query_string": ""}).status_code == 403
    assert not SavedFilter.objects.exists()


def test_a_staff_engineer_cannot_list_everyones_views_in_the_admin(client, manager):
    saved_filter_save(user=manager, name="经理的视图", query_string="priority=P1")
    staff_engineer = UserFactory(username="staffeng", role="engineer", is_staff=True)
    client.force_login(staff_engineer)
    assert client.get(reverse("admin:diagnosis_savedfilter_changelist")).status_code == 403
