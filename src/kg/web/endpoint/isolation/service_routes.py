"""Which address inside a federating query process stands for which allow-listed endpoint.

A query that names an allow-listed ``SERVICE`` runs in a network namespace of its own
(:mod:`kg.web.endpoint.isolation.private_network`) whose only interface is its loopback. There, each
allow-listed ``host:port`` gets one listening address: an IP-literal host keeps its own address
(added to the loopback when it is not a loopback address already), and a host *name* is given a
loopback address ``127.0.0.N`` of its own through the namespace's ``/etc/hosts``. A forwarder
outside (:mod:`kg.web.endpoint.isolation.forwarder`) joins each listening address to the one real
``host:port`` it stands for. This module only computes that plan, from the allow-list: no
kernel, no sockets, so it is tested on its own.

The plan keys on host and port, not on the path: below the gate, any path of an allow-listed
``host:port`` is reachable (the gate still refuses the other paths with a clear 400).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

#: The schemes Oxigraph's SERVICE speaks, and their ports when the IRI names none.
DEFAULT_PORTS = {"http": 80, "https": 443}
#: The loopback addresses given to host names: 127.0.0.2 … 127.0.0.254.
_NAME_ADDRESSES = range(2, 255)


class RoutesUnavailable(ValueError):  # noqa: N818 - it names the condition
    """The allow-list cannot be laid out (too many host names, say)."""


@dataclass(frozen=True)
class Route:
    """Connections to ``listen``:``port`` inside the namespace go to ``host``:``port``."""

    listen: str  # an IPv4 or IPv6 address, as the kernel spells it
    port: int
    host: str  # the real host: a name (resolved outside, by the forwarder) or an address

    @property
    def family(self) -> int:
        import socket

        return socket.AF_INET6 if ":" in self.listen else socket.AF_INET


@dataclass(frozen=True)
class Routes:
    """The layout of a federating query process's network."""

    routes: tuple[Route, ...]
    #: Host names and the loopback address each stands for, in the namespace's /etc/hosts.
    names: tuple[tuple[str, str], ...]

    def hosts_file(self) -> str:
        """The namespace's ``/etc/hosts``: the allow-listed names and nothing else (no
        ``localhost`` unless allow-listed), so any other name does not resolve."""
        lines = [
            "# A federating query process's hosts (kg.web.endpoint.isolation.service_routes):",
            "# each name stands for one allow-listed endpoint, reached through the forwarder.",
        ]
        lines += [f"{address} {name}" for name, address in self.names]
        return "\n".join(lines) + "\n"

    def extra_addresses(self) -> tuple[str, ...]:
        """The listening addresses the loopback interface lacks when it comes up: IP-literal
        hosts outside 127.0.0.0/8 and ::1."""
        extra = []
        for route in self.routes:
            address = ipaddress.ip_address(route.listen)
            if not address.is_loopback and route.listen not in extra:
                extra.append(route.listen)
        return tuple(extra)


def _host_and_port(endpoint: str) -> tuple[str, int] | None:
    parts = urlsplit(endpoint.strip())
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    try:
        port = parts.port
    except ValueError:
        return None
    return parts.hostname.lower().rstrip("."), port or DEFAULT_PORTS[scheme]


def _literal(host: str) -> str | None:
    """The address of an IP-literal host (IPv6 without brackets), or None for a name."""
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return str(address.ipv4_mapped)
    return str(address)


def routes_for(endpoints: tuple[str, ...]) -> Routes:
    """The plan for ``endpoints`` (``KG_SERVICE_ALLOWLIST``); IRIs that are not http(s) with a
    host are left out (the gate never lets a query name them). Raise :class:`RoutesUnavailable`
    when there are more host names than loopback addresses to give them."""
    targets: list[tuple[str, int]] = []
    for endpoint in endpoints:
        target = _host_and_port(endpoint)
        if target is not None and target not in targets:
            targets.append(target)
    literals = {_literal(host) for host, _ in targets} - {None}
    free = (f"127.0.0.{n}" for n in _NAME_ADDRESSES if f"127.0.0.{n}" not in literals)
    names: dict[str, str] = {}
    routes = []
    for host, port in targets:
        listen = _literal(host)
        if listen is None:
            if host not in names:
                try:
                    names[host] = next(free)
                except StopIteration:
                    raise RoutesUnavailable(
                        f"KG_SERVICE_ALLOWLIST names more than {len(_NAME_ADDRESSES)} hosts"
                    ) from None
            listen = names[host]
        routes.append(Route(listen, port, host))
    return Routes(tuple(routes), tuple(names.items()))
