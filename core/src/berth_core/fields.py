"""Strict scalar types of manifests and site files: networks, addresses, port ranges.

pydantic's lax mode would take `remote: 0` for 0.0.0.0/32 and `ports: "٤٤٣"` (Arabic-Indic digits) for
443. Addresses and port ranges are ASCII text here, written in their one canonical form; integers and
booleans are made strict where the models declare them (pydantic's StrictInt / StrictBool).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator
from pydantic_core import PydanticCustomError

from berth_core.safe_text import describe

_CIDR_TEXT = re.compile(r"^[0-9A-Fa-f:.]+/[0-9]{1,3}$")  # a prefix length, never a netmask
_ADDRESS_TEXT = re.compile(r"^[0-9A-Fa-f:.]+$")
_PORTS = re.compile(r"^([0-9]{1,5})(?:-([0-9]{1,5}))?$")  # [0-9], not \d: \d matches every script's digits

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def _parse_network(value: object, versions: tuple[int, ...], code: str) -> IpNetwork:
    if isinstance(value, IpNetwork) and value.version in versions:
        return value  # built in Python (tests, IPAM), not read from YAML
    if not isinstance(value, str) or not _CIDR_TEXT.match(value):
        raise PydanticCustomError(code, "{got} is not a network", {"got": describe(value)})
    try:
        network = ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise PydanticCustomError(code, "{got} is not a network", {"got": describe(value)}) from None
    if network.version not in versions:
        raise PydanticCustomError(code, "{got} is not a network", {"got": describe(value)})
    if network.network_address != ipaddress.ip_address(value.partition("/")[0]):
        # `10.64.9.7/24` is a host, not a network: say so precisely
        raise PydanticCustomError(
            "network.host_bits", "{got} has host bits set", {"got": value, "network": str(network)}
        )
    return network


def _ipv4_network(value: object) -> IpNetwork:
    return _parse_network(value, (4,), "value.ipv4_network")


def _any_network(value: object) -> IpNetwork:
    return _parse_network(value, (4, 6), "value.network")


def _ipv4_address(value: object) -> ipaddress.IPv4Address:
    if isinstance(value, ipaddress.IPv4Address):
        return value
    if isinstance(value, str) and _ADDRESS_TEXT.match(value):
        try:
            return ipaddress.IPv4Address(value)
        except ValueError:
            pass
    raise PydanticCustomError("value.ipv4_address", "{got} is not an address", {"got": describe(value)})


def _ports_text(value: object) -> object:
    return str(value) if type(value) is int else value  # `ports: 443` is as natural as `ports: "443"`


def _check_ports(value: str) -> str:
    match = _PORTS.match(value)
    low, high = (int(match.group(1)), int(match.group(2) or match.group(1))) if match else (0, -1)
    if not (1 <= low <= high <= 65535):
        raise PydanticCustomError("rule.ports_range", "bad ports {got}", {"got": value})
    return value


def port_range(ports: str) -> tuple[int, int]:
    """(low, high) of a checked `ports` text: "443" -> (443, 443), "8000-8080" -> (8000, 8080)."""
    low, _, high = ports.partition("-")
    return (int(low), int(high or low))


Network = Annotated[ipaddress.IPv4Network, BeforeValidator(_ipv4_network)]  # a tenant or site IPv4 CIDR
AnyNetwork = Annotated[IpNetwork, BeforeValidator(_any_network)]  # a rule's remote: IPv4 or IPv6
Address = Annotated[ipaddress.IPv4Address, BeforeValidator(_ipv4_address)]
Ports = Annotated[str, BeforeValidator(_ports_text), AfterValidator(_check_ports)]
