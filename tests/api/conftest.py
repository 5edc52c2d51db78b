"""Tokens and API clients per role and scope."""

import pytest
from django.test import Client

from api.services import api_token_create


def api_client(user, *, write=False, language="en") -> Client:
    issued = api_token_create(user=user, name="test", write=write)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}", HTTP_ACCEPT_LANGUAGE=language)
    client.token = issued.token  # type: ignore[attr-defined]
    client.secret = issued.secret  # type: ignore[attr-defined]
    return client


@pytest.fixture
def engineer_api(engineer):
    return api_client(engineer, write=True)


@pytest.fixture
def engineer_read_api(engineer):
    return api_client(engineer)


@pytest.fixture
def manager_api(manager):
    return api_client(manager, write=True)


@pytest.fixture
def no_role_api(no_role_user):
    return api_client(no_role_user, write=True)
