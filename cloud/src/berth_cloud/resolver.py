"""Names -> OpenStack ids for what tenants refer to by name (domain, roles, users, groups, flavors,
external network, subnet pools), looked up once per run and cached on the Cloud. Only a cold apply
needs them; a no-op re-apply never asks.
"""

from __future__ import annotations

import threading
from typing import Any

from berth_cloud.connection import Cloud
from berth_cloud.http import call
from berth_cloud.observe import domain_id
from berth_core.errors import OpenStackError


class Resolver:
    def __init__(self, cloud: Cloud) -> None:
        self.cloud = cloud
        self._lock = threading.Lock()

    def _cached(self, key: str, fetch: Any) -> Any:
        with self._lock:
            if key in self.cloud.cache:
                return self.cloud.cache[key]
        value = fetch()
        with self._lock:
            self.cloud.cache[key] = value
        return value

    def forget(self, prefix: str) -> None:
        with self._lock:
            for key in [k for k in self.cloud.cache if k.startswith(prefix)]:
                del self.cloud.cache[key]

    def domain(self, name: str) -> str:
        return domain_id(self.cloud, name)

    def role(self, name: str) -> str:
        def fetch() -> str:
            body = call(self.cloud.conn.identity, "GET", "/roles", params={"name": name}, what=f"role {name}")
            roles = body.get("roles") or []
            if not roles:
                raise OpenStackError(f"role {name!r} does not exist", hint="check spec.identity in cloud.yml")
            return str(roles[0]["id"])

        return str(self._cached(f"role:{name}", fetch))

    def principal(self, kind: str, name: str, domain: str) -> str:
        def fetch() -> str:
            path = "/users" if kind == "user" else "/groups"
            body = call(
                self.cloud.conn.identity,
                "GET",
                path,
                params={"name": name, "domain_id": self.domain(domain)},
                what=f"{kind} {name}",
            )
            found = body.get("users" if kind == "user" else "groups") or []
            if not found:
                raise OpenStackError(
                    f"{kind} {name!r} does not exist in domain {domain!r}",
                    hint="members come from the city's identity backend; create the account there first",
                )
            return str(found[0]["id"])

        return str(self._cached(f"{kind}:{domain}:{name}", fetch))

    def flavor(self, name: str) -> str:
        def fetch() -> dict[str, str]:
            body = call(
                self.cloud.conn.compute, "GET", "/flavors", params={"is_public": "None"}, what="list flavors"
            )
            return {str(f["name"]): str(f["id"]) for f in body.get("flavors") or []}

        ids = self._cached("flavors", fetch)
        if name not in ids:
            self.forget("flavors")
            ids = self._cached("flavors", fetch)
        if name not in ids:
            raise OpenStackError(
                f"flavor {name!r} does not exist", hint="apply the platform first (`berth apply` of platform)"
            )
        return str(ids[name])

    def external_network(self, name: str) -> str:
        def fetch() -> str:
            body = call(
                self.cloud.conn.network,
                "GET",
                "/networks",
                params={"name": name, "router:external": "true"},
                what=f"external network {name}",
            )
            nets = body.get("networks") or []
            if not nets:
                raise OpenStackError(
                    f"external network {name!r} does not exist", hint="apply the platform first"
                )
            return str(nets[0]["id"])

        return str(self._cached(f"extnet:{name}", fetch))

    def subnet_pool(self, name: str) -> str:
        def fetch() -> str:
            body = call(
                self.cloud.conn.network,
                "GET",
                "/subnetpools",
                params={"name": name},
                what=f"subnet pool {name}",
            )
            pools = body.get("subnetpools") or []
            if not pools:
                raise OpenStackError(f"subnet pool {name!r} does not exist", hint="apply the platform first")
            return str(pools[0]["id"])

        return str(self._cached(f"subnetpool:{name}", fetch))
