"""Personal access tokens: made once, stored as a digest, refused when revoked or expired."""

import hashlib
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from api.models import ApiToken, TokenScope
from api.services import api_token_authenticate, api_token_create, api_token_revoke

from .conftest import api_client

pytestmark = pytest.mark.django_db


def test_command_prints_the_token_once_and_keeps_only_its_digest(engineer):
    out = StringIO()
    call_command("api_token", "engineer", "--write", "--days", "7", stdout=out, stderr=StringIO())
    secret = out.getvalue().strip()
    token = ApiToken.objects.get(user=engineer)
    assert secret.startswith(f"stk_{token.prefix}_")
    assert token.scope == TokenScope.WRITE
    assert token.digest == hashlib.sha256(secret.split("_", 2)[2].encode()).hexdigest()
    assert secret not in str(list(ApiToken.objects.values_list()))
    assert timedelta(days=6, hours=23) < token.expires_at - timezone.now() <= timedelta(days=7)
    response = Client().get("/api/v1/tickets", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200


def test_command_default_is_read_and_unknown_user_fails(engineer):
    out = StringIO()
    call_command("api_token", "engineer", stdout=out, stderr=StringIO())
    assert ApiToken.objects.get(user=engineer).scope == TokenScope.READ
    with pytest.raises(CommandError):
        call_command("api_token", "nobody", stdout=StringIO(), stderr=StringIO())
    with pytest.raises(CommandError):
        call_command("api_token", "engineer", "--days", "0", stdout=StringIO(), stderr=StringIO())


@pytest.mark.parametrize("secret", ["", "stk_", "stk_abcdefgh_wrong", "Bearer", "x" * 500, "stk_ab_cd"])
def test_wrong_tokens_are_refused(engineer, secret):
    api_token_create(user=engineer, name="real")
    response = Client().get("/api/v1/tickets", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 401
    assert response.json()["detail"]
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_token_is_refused(engineer):
    client = api_client(engineer)
    assert client.get("/api/v1/tickets").status_code == 200
    api_token_revoke(token=client.token, by=engineer)
    assert client.get("/api/v1/tickets").status_code == 401


def test_an_expired_token_is_refused(engineer):
    client = api_client(engineer)
    with time_machine.travel(timezone.now() + timedelta(days=91)):
        assert client.get("/api/v1/tickets").status_code == 401


def test_a_deactivated_users_token_is_refused(engineer):
    client = api_client(engineer)
    engineer.is_active = False
    engineer.save()
    assert client.get("/api/v1/tickets").status_code == 401


def test_last_use_is_written_at_most_once_a_minute(engineer):
    issued = api_token_create(user=engineer, name="t")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        api_token_authenticate(issued.secret)
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        api_token_authenticate(issued.secret)
    assert ApiToken.objects.get().last_used_at == start
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        api_token_authenticate(issued.secret)
    assert ApiToken.objects.get().last_used_at == start + timedelta(seconds=61)


def test_tokens_page_shows_a_new_token_once_and_revokes(engineer_client, engineer):
    url = reverse("api_tokens:list")
    response = engineer_client.post(url, {"name": "报表脚本", "scope": "write", "days": "30"})
    assert response.status_code == 200
    secret = response.context["issued"].secret
    assert secret in response.content.decode()
    token = ApiToken.objects.get(user=engineer)
    assert token.name == "报表脚本" and token.scope == TokenScope.WRITE
    again = engineer_client.get(url)
    assert secret not in again.content.decode() and "报表脚本" in again.content.decode()
    engineer_client.post(reverse("api_tokens:revoke", args=[token.pk]))
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert Client().get("/api/v1/tickets", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401


def test_tokens_page_refuses_bad_days_and_others_tokens(engineer_client, manager):
    response = engineer_client.post(reverse("api_tokens:list"), {"name": "x", "scope": "read", "days": "999"})
    assert response.status_code == 400
    theirs = api_token_create(user=manager, name="theirs").token
    assert engineer_client.post(reverse("api_tokens:revoke", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_rate_limit_per_token(engineer, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 3
    first, second = api_client(engineer), api_client(engineer)
    assert [first.get("/api/v1/customers").status_code for _ in range(4)] == [200, 200, 200, 429]
    response = first.get("/api/v1/customers")
    assert response.status_code == 429 and response["Retry-After"] == "60"
    assert response.json()["detail"]
    assert second.get("/api/v1/customers").status_code == 200  # another token has its own count
