"""The haproxy role's list of services, checked and completed before it is rendered into haproxy.cfg.

Pure: `normalise_services` takes the list a site gives (`haproxy_services`) and returns every entry with
every field set, or raises ValueError naming the entry and field (`haproxy_services[3].mode: ...`)."""

from __future__ import annotations

import re
from typing import Any

from ansible.errors import AnsibleFilterError

_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
_CHECK = re.compile(r"^(GET|HEAD|OPTIONS) (/\S*)$")
_TIMEOUT = re.compile(r"^[0-9]+(ms|s|m|h)?$")
MODES = ("http", "tcp")
BALANCES = ("roundrobin", "static-rr", "leastconn", "first", "source")
ACTIVE = ("all", "one")
FIELDS = {
    "name",
    "port",
    "backend_port",
    "mode",
    "balance",
    "check",
    "check_port",
    "active",
    "tls",
    "timeout",
}


def _port(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
        raise ValueError(f"{where}: {value!r} is not a port number")
    port = int(value)
    if not 1 <= port <= 65535:
        raise ValueError(f"{where}: {port} is not a port number (1-65535)")
    return port


def _choice(entry: dict[str, Any], key: str, allowed: tuple[str, ...], default: str, where: str) -> str:
    value = str(entry.get(key, default))
    if value not in allowed:
        raise ValueError(f"{where}.{key}: {value!r} is not one of {', '.join(allowed)}")
    return value


def normalise_service(entry: Any, where: str) -> dict[str, Any]:
    """One service with every field: name, port, backend_port, mode, balance, check (http: `METHOD /path`,
    tcp: `connect`), check_port (None: the backend port), active (all, or one with the others backup),
    tls (terminate TLS on the VIP, http only), timeout (client and server idle timeout, None: defaults)."""
    if not isinstance(entry, dict):
        raise ValueError(f"{where}: a service is a mapping (name, port, ...)")
    unknown = sorted(set(entry) - FIELDS)
    if unknown:
        raise ValueError(
            f"{where}: unknown field(s) {', '.join(unknown)} (known: {', '.join(sorted(FIELDS))})"
        )
    name = str(entry.get("name", ""))
    if not _NAME.match(name):
        raise ValueError(f"{where}.name: {name!r}: 1-32 of a-z 0-9 '_' '-', starting with a letter")
    if "port" not in entry:
        raise ValueError(f"{where}.port: missing (the port clients use on the VIP)")
    port = _port(entry["port"], f"{where}.port")
    backend_port = _port(entry.get("backend_port", port), f"{where}.backend_port")
    mode = _choice(entry, "mode", MODES, "http", where)
    balance = _choice(entry, "balance", BALANCES, "roundrobin", where)
    active = _choice(entry, "active", ACTIVE, "all", where)
    check = str(entry.get("check", "GET /" if mode == "http" else "connect"))
    if mode == "http" and not _CHECK.match(check):
        raise ValueError(f"{where}.check: {check!r}: an HTTP check is `GET /path` (or HEAD, OPTIONS)")
    if mode == "tcp" and check != "connect":
        raise ValueError(f"{where}.check: {check!r}: a tcp service is checked by connecting (`connect`)")
    check_port = entry.get("check_port")
    if check_port is not None:
        check_port = _port(check_port, f"{where}.check_port")
    tls = entry.get("tls", mode == "http")
    if not isinstance(tls, bool):
        raise ValueError(f"{where}.tls: {tls!r} is not true or false")
    if tls and mode != "http":
        raise ValueError(
            f"{where}.tls: TLS on the VIP is for http services (a tcp service keeps its protocol)"
        )
    timeout = entry.get("timeout")
    if timeout is not None and not _TIMEOUT.match(str(timeout)):
        raise ValueError(f"{where}.timeout: {timeout!r} is not an HAProxy time (e.g. 3600s, 90m)")
    return {
        "name": name,
        "port": port,
        "backend_port": backend_port,
        "mode": mode,
        "balance": balance,
        "check": check,
        "check_port": check_port,
        "active": active,
        "tls": tls,
        "timeout": None if timeout is None else str(timeout),
    }


def normalise_services(services: Any, source: str = "haproxy_services") -> list[dict[str, Any]]:
    """Every service completed; names and VIP ports unique."""
    if not isinstance(services, list):
        raise ValueError(f"{source}: a list of services")
    done: list[dict[str, Any]] = []
    for i, entry in enumerate(services):
        where = f"{source}[{i}]"
        service = normalise_service(entry, where)
        for other in done:
            if other["name"] == service["name"]:
                raise ValueError(f"{where}.name: {service['name']!r} appears twice")
            if other["port"] == service["port"]:
                raise ValueError(f"{where}.port: {service['port']} is also {other['name']}'s port on the VIP")
        done.append(service)
    return done


def haproxy_services(services: Any) -> list[dict[str, Any]]:
    try:
        return normalise_services(services)
    except ValueError as exc:
        raise AnsibleFilterError(str(exc)) from exc


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"haproxy_services": haproxy_services}
