"""Pulumi's mock runtime, with a monitor that also records what the engine would see: parent and
dependencies of every registration (MockResourceArgs carries neither), and every invoke asked.

The mocks answer pulumi-openstack's lookups (getUser, getGroup, getRole, getFlavor, getNetwork,
getSubnetPool, getProject for the domain) with ids derived from the name asked, so tests can check that
the right name reached the right field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs

INVOKE_ID_PREFIX = {
    "openstack:identity/getProject:getProject": "domain",
    "openstack:identity/getUser:getUser": "user",
    "openstack:identity/getGroup:getGroup": "group",
    "openstack:identity/getRole:getRole": "role",
    "openstack:compute/getFlavor:getFlavor": "flavor",
    "openstack:networking/getNetwork:getNetwork": "net",
    "openstack:networking/getSubnetPool:getSubnetPool": "pool",
}


def invoke_id(token: str, name: str) -> str:
    return f"{INVOKE_ID_PREFIX[token]}-id:{name}"


def resource_id(name: str) -> str:
    return f"id:{name}"


@dataclass(frozen=True)
class Registration:
    urn: str
    type: str
    name: str
    custom: bool
    parent: str
    dependencies: frozenset[str]
    inputs: dict[str, Any]


class OpenStackMocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.calls: list[MockCallArgs] = []

    def new_resource(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return resource_id(args.name), dict(args.inputs)

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        self.calls.append(args)
        if args.token not in INVOKE_ID_PREFIX:
            raise AssertionError(f"unexpected invoke {args.token}")
        name = str(args.args["name"])
        return {"id": invoke_id(args.token, name), "name": name}, []


class RecordingMonitor(MockMonitor):
    def __init__(self, mocks: OpenStackMocks) -> None:
        super().__init__(mocks)
        self.registrations: dict[str, Registration] = {}

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - gRPC's spelling
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            inputs = self.resources[response.urn].state if request.custom else {}
            self.registrations[response.urn] = Registration(
                urn=response.urn,
                type=request.type,
                name=request.name,
                custom=bool(request.custom),
                parent=request.parent,
                dependencies=frozenset(request.dependencies),
                inputs=dict(inputs),
            )
        return response

    def custom(self) -> list[Registration]:
        return [r for r in self.registrations.values() if r.custom]

    def of_type(self, type_: str) -> list[Registration]:
        return [r for r in self.registrations.values() if r.type == type_]

    def by_name(self) -> dict[str, Registration]:
        return {r.name: r for r in self.custom()}
