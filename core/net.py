"""Client addresses behind reverse proxies: X-Forwarded-For is believed only from proxies configured as trusted."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(text: str) -> tuple[Network, ...]:
    """Comma-separated IP addresses and CIDR ranges ("127.0.0.1, 10.0.0.0/8"); ValueError names a bad one."""
    networks = []
    for part in (item.strip() for item in text.split(",")):
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ValueError(f"not an IP address or CIDR range: {part!r}") from None
    return tuple(networks)


def _address(hop: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address of one X-Forwarded-For entry ("1.2.3.4", "1.2.3.4:5678", "[::1]:80"), None if there is none."""
    hop = hop.strip()
    if hop.startswith("[") and "]" in hop:
        hop = hop[1 : hop.index("]")]
    elif hop.count(":") == 1:
        hop = hop.split(":", 1)[0]
    try:
        return ipaddress.ip_address(hop)
    except ValueError:
        return None


def _trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address | None, trusted: Sequence[Network]) -> bool:
    return address is not None and any(address in network for network in trusted)


def client_address(peer: str, forwarded_for: Sequence[str], trusted: Sequence[Network]) -> str:
    """The direct peer, unless it is a trusted proxy: then the right-most X-Forwarded-For hop that is not
    itself a trusted proxy (what the left of it says, the client could have written). A hop that is no
    address ends the walk at the last trusted one."""
    current = peer
    if not _trusted(_address(peer), trusted):
        return current
    hops = [hop for header in forwarded_for for hop in header.split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            return current
        current = str(address)
        if not _trusted(address, trusted):
            return current
    return current
