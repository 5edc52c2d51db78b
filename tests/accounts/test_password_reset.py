"""Password-reset requests are throttled per e-mail address and per client address, the same way for
addresses with and without an account."""

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import UserFactory

RESET = reverse("password_reset")


@pytest.fixture
def person(db):
    return UserFactory(username="person", email="person@example.com", role="engineer")


def _ask(client, email, address="203.0.113.7"):
    return client.post(RESET, {"email": email}, REMOTE_ADDR=address)


def test_resets_for_one_address_stop_after_the_hourly_limit(client, person, settings):
    limit = settings.PASSWORD_RESET_PER_ADDRESS_PER_HOUR
    for _ in range(limit):
        assert _ask(client, "person@example.com").status_code == 302
    assert len(mail.outbox) == limit

    response = _ask(client, "Person@Example.com ", address="198.51.100.9")  # case, spaces, another client
    assert response.status_code == 429
    assert "密码重置请求过多" in response.content.decode()
    assert len(mail.outbox) == limit  # nothing more was sent


def test_resets_from_one_client_stop_after_its_hourly_limit(client, person, settings):
    settings.PASSWORD_RESET_PER_IP_PER_HOUR = 4
    for index in range(4):
        assert _ask(client, f"nobody{index}@example.com").status_code == 302
    response = _ask(client, "person@example.com")
    assert response.status_code == 429
    assert mail.outbox == []
    # Another client may still ask for the same person.
    assert _ask(client, "person@example.com", address="198.51.100.9").status_code == 302
    assert len(mail.outbox) == 1


def test_unknown_and_known_addresses_are_answered_and_limited_alike(client, person, settings):
    settings.PASSWORD_RESET_PER_ADDRESS_PER_HOUR = 1
    assert _ask(client, "nobody@example.com").status_code == _ask(client, "person@example.com").status_code
    assert (
        _ask(client, "nobody@example.com").status_code
        == _ask(client, "person@example.com").status_code
        == 429
    )


def test_reset_refusal_in_english(client, person, settings):
    settings.PASSWORD_RESET_PER_ADDRESS_PER_HOUR = 0
    client.cookies["django_language"] = "en"
    response = _ask(client, "person@example.com")
    assert "Too many password reset requests. Please try again in an hour." in response.content.decode()
