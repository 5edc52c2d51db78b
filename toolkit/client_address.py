"""The address of the client that sent a request, for rate limits and login throttling.

Behind a reverse proxy every request comes from the proxy's address (``REMOTE_ADDR``), so the client is
named in ``X-Forwarded-For``. That header is written by whoever sends the request, so it is believed
only when the request came from a proxy listed in ``settings.TRUSTED_PROXIES`` (IP addresses or CIDR
networks; empty by default: then ``REMOTE_ADDR`` is the client). Each trusted proxy appends the address
it received the request from, so the header is read from the right: the first hop that is not a trusted
proxy is the client; anything to the left of it was written by the client and is ignored.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
UNKNOWN = "unknown"


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip())


def trusted_proxies() -> tuple:
    """settings.TRUSTED_PROXIES as networks (read per call: tests and settings may change it)."""
    return _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ()) or ()))


def parse_address(value: str) -> IPAddress | None:
    """An IP address from a header value ("1.2.3.4", "1.2.3.4:5678", "[2001:db8::1]:443"), or None."""
    value = (value or "").strip()
    if value.startswith("[") and "]" in value:
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:
        value = value.split(":", 1)[0]  # IPv4 with a port
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    # An IPv4 client seen through an IPv6 socket: count it as the IPv4 address it is.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _is_trusted(address: IPAddress, networks) -> bool:
    return any(address.version == network.version and address in network for network in networks)


def client_address(request) -> str:
    """The client's IP address as text: ``REMOTE_ADDR``, or, when that is a trusted proxy, the right-most
    ``X-Forwarded-For`` hop that is not a trusted proxy. "unknown" when there is no usable address."""
    remote = parse_address(request.META.get("REMOTE_ADDR", ""))
    if remote is None:
        return UNKNOWN
    networks = trusted_proxies()
    if not networks or not _is_trusted(remote, networks):
        return str(remote)
    client = remote
    for hop in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        address = parse_address(hop)
        if address is None:
            break  # garbage was written by someone we do not trust: keep the last trusted hop
        client = address
        if not _is_trusted(address, networks):
            break
    return str(client)
