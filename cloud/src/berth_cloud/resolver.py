"""Names -> OpenStack ids for what tenants refer to by name (domain, roles, users, groups, flavors,
external network, subnet pools), looked up once per run and cached on the Cloud. Only a cold apply
needs them; a no-op re-apply never asks. `find_*` answer None for a name the cloud lacks (the pre-write
check asks them all before the first write); the plain methods raise for the executors.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from berth_cloud.connection import Cloud
from berth_cloud.http import call
from berth_cloud.observe import domain_id
from berth_core.errors import OpenStackError

T = TypeVar("T")


class Resolver:
    def __init__(self, cloud: Cloud) -> None:
        self.cloud = cloud
        self._lock = threading.Lock()

    def _cached(self, key: str, fetch: Callable[[], T]) -> T:
        """The cached value of `key`, else fetch() (a None answer is not cached: it may exist later)."""
        with self._lock:
            if key in self.cloud.cache:
                return self.cloud.cache[key]  # type: ignore[no-any-return]
        value = fetch()
        if value is not None:
            with self._lock:
                self.cloud.cache[key] = value
        return value

    def forget(self, prefix: str) -> None:
        with self._lock:
            for key in [k for k in self.cloud.cache if k.startswith(prefix)]:
                del self.cloud.cache[key]

    def domain(self, name: str) -> str:
        return domain_id(self.cloud, name)

    def find_domain(self, name: str) -> str | None:
        try:
            return self.domain(name)
        except OpenStackError as missing:
            if "does not exist" in missing.message:
                return None
            raise

    def _first_id(self, proxy: Any, path: str, field: str, params: dict[str, Any], what: str) -> str | None:
        found = (call(proxy, "GET", path, params=params, what=what) or {}).get(field) or []
        return str(found[0]["id"]) if found else None

    def find_role(self, name: str) -> str | None:
        identity = self.cloud.conn.identity
        return self._cached(
            f"role:{name}",
            lambda: self._first_id(identity, "/roles", "roles", {"name": name}, f"role {name}"),
        )

    def role(self, name: str) -> str:
        found = self.find_role(name)
        if found is None:
            raise OpenStackError(f"role {name!r} does not exist", hint="check spec.identity in cloud.yml")
        return found

    def find_principal(self, kind: str, name: str, domain: str) -> str | None:
        path, field = ("/users", "users") if kind == "user" else ("/groups", "groups")
        identity = self.cloud.conn.identity
        return self._cached(
            f"{kind}:{domain}:{name}",
            lambda: self._first_id(
                identity, path, field, {"name": name, "domain_id": self.domain(domain)}, f"{kind} {name}"
            ),
        )

    def principal(self, kind: str, name: str, domain: str) -> str:
        found = self.find_principal(kind, name, domain)
        if found is None:
            raise OpenStackError(
                f"{kind} {name!r} does not exist in domain {domain!r}",
                hint="members come from the city's identity backend; create the account there first",
            )
        return found

    def find_flavor(self, name: str) -> str | None:
        def fetch() -> dict[str, str]:
            body = call(
                self.cloud.conn.compute, "GET", "/flavors", params={"is_public": "None"}, what="list flavors"
            )
            return {str(f["name"]): str(f["id"]) for f in body.get("flavors") or []}

        ids = self._cached("flavors", fetch)
        if name not in ids:  # created since the list was read (the platform's flavors, this very run)
            self.forget("flavors")
            ids = self._cached("flavors", fetch)
        return ids.get(name)

    def flavor(self, name: str) -> str:
        found = self.find_flavor(name)
        if found is None:
            raise OpenStackError(
                f"flavor {name!r} does not exist", hint="apply the platform first (`berth apply` of platform)"
            )
        return found

    def find_external_network(self, name: str) -> str | None:
        network = self.cloud.conn.network
        params = {"name": name, "router:external": "true"}
        return self._cached(
            f"extnet:{name}",
            lambda: self._first_id(network, "/networks", "networks", params, f"external network {name}"),
        )

    def external_network(self, name: str) -> str:
        found = self.find_external_network(name)
        if found is None:
            raise OpenStackError(f"external network {name!r} does not exist", hint="apply the platform first")
        return found

    def find_subnet_pool(self, name: str) -> str | None:
        network = self.cloud.conn.network
        return self._cached(
            f"subnetpool:{name}",
            lambda: self._first_id(
                network, "/subnetpools", "subnetpools", {"name": name}, f"subnet pool {name}"
            ),
        )

    def subnet_pool(self, name: str) -> str:
        found = self.find_subnet_pool(name)
        if found is None:
            raise OpenStackError(f"subnet pool {name!r} does not exist", hint="apply the platform first")
        return found
