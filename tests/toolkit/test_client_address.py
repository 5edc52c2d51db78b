"""toolkit.client_address: X-Forwarded-For is believed only from a configured trusted proxy."""

import pytest
from django.test import RequestFactory

from toolkit.client_address import client_address

rf = RequestFactory()


def request_from(remote, forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return rf.get("/", **extra)


def test_without_trusted_proxies_the_connecting_address_is_the_client(settings):
    settings.TRUSTED_PROXIES = []
    assert client_address(request_from("203.0.113.7", "198.51.100.1")) == "203.0.113.7"


def test_forwarded_address_from_a_trusted_proxy(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    assert client_address(request_from("10.0.0.1", "198.51.100.1")) == "198.51.100.1"


def test_spoofed_header_from_an_untrusted_peer_is_ignored(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    assert client_address(request_from("203.0.113.7", "198.51.100.1")) == "203.0.113.7"


def test_what_the_client_wrote_left_of_the_proxy_entry_is_ignored(settings):
    """The client sends "X-Forwarded-For: 1.2.3.4"; the proxy appends the real address after it."""
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_address(request_from("10.0.0.1", "1.2.3.4, 198.51.100.1")) == "198.51.100.1"


def test_a_chain_of_trusted_proxies_is_walked_from_the_right(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "2001:db8::/32"]
    request = request_from("10.0.0.1", "1.2.3.4, 198.51.100.1, 2001:db8::5, 10.1.2.3")
    assert client_address(request) == "198.51.100.1"


@pytest.mark.parametrize(
    ("forwarded", "expected"),
    [
        ("", "10.0.0.1"),  # a trusted proxy that forwarded nothing
        ("not-an-address", "10.0.0.1"),
        ("198.51.100.1:51234", "198.51.100.1"),
        ("[2001:db8:1::9]:443", "2001:db8:1::9"),
        ("::ffff:198.51.100.1", "198.51.100.1"),
    ],
)
def test_odd_header_values(settings, forwarded, expected):
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    assert client_address(request_from("10.0.0.1", forwarded)) == expected


def test_no_usable_connecting_address(settings):
    settings.TRUSTED_PROXIES = []
    assert client_address(request_from("")) == "unknown"
