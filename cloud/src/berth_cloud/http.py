"""One way to call an OpenStack API: raw JSON through an openstacksdk proxy, retries, located errors.

The proxies (`conn.network`, `conn.identity`, ...) are keystoneauth adapters: they add the token, find
the versioned endpoint in the catalogue and negotiate microversions. berth talks JSON through them so
list filters, tag bodies and quota fields are exactly what the API reference says, and every failure
becomes an OpenStackError naming the resource key and the service, with OpenStack's own message.
"""

from __future__ import annotations

import re
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from berth_core.errors import OpenStackError

# Nova's quota class sets hold server_groups/server_group_members from 2.50; 2.57 drops the file fields.
NOVA_QUOTA_MICROVERSION = "2.57"
RETRYABLE_STATUS = frozenset({409, 500, 502, 503, 504})
# A create (POST) is retried only where the server surely did not act: a conflict, "unavailable", or a
# connection that was refused; a lost response could otherwise leave a duplicate behind.
RETRYABLE_CREATE_STATUS = frozenset({409, 503})


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff between attempts on 409/5xx and connection failures (4 tries: 0.5 + 1 + 2 s of waiting)."""

    delays: tuple[float, ...] = (0.5, 1.0, 2.0)


DEFAULT_RETRY = RetryPolicy()
NO_RETRY = RetryPolicy(())


class ApiError(OpenStackError):
    """An OpenStack API answered with an error status (kept apart from reachability problems)."""

    def __init__(self, message: str, *, status: int, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.status = status


def error_text(body: Any) -> str:
    """OpenStack's own message from an error body (each service nests it differently)."""
    if isinstance(body, Mapping):
        for value in body.values():
            if isinstance(value, Mapping) and isinstance(value.get("message"), str):
                return str(value["message"])[:300]
        if isinstance(body.get("message"), str):
            return str(body["message"])[:300]
    return ""


# ssl's wording for a certificate the client refuses (unknown CA, wrong host name, expired)
_CERT_REFUSED = re.compile(r"certificate verify failed:?\s*([^()]*)", re.IGNORECASE)


def certificate_refusal(error: Exception) -> str | None:
    """Why TLS refused the server's certificate, or None when the handshake failed otherwise (cut short).

    A refused certificate stays refused, so it is reported at once; a handshake cut short (a load balancer
    restarting, a VIP moving to another host mid-connect) is transient and, since the request had not been
    sent yet, safe to retry even for a create.
    """
    found = _CERT_REFUSED.search(str(error))
    if found is None:
        return None
    return found.group(1).strip().rstrip(".,") or "certificate verify failed"


def _body(response: Any) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _send(
    proxy: Any,
    method: str,
    path: str,
    kwargs: Mapping[str, Any],
    *,
    what: str,
    tries: int,
    last: bool,
    idempotent: bool,
) -> Any:
    """One attempt: the response, or None when the connection failed in a way worth another try."""
    import keystoneauth1.exceptions as ks_exc

    service = getattr(proxy, "service_type", "openstack")
    rerun = "then re-run: berth converges from where it stopped"
    try:
        return proxy.request(path, method, **kwargs)
    except (ks_exc.ConnectFailure, ks_exc.ConnectTimeout, ks_exc.RetriableConnectionFailure) as bad:
        # a timeout may strike after the request went out: only a read or a delete is sent again then
        sure_not_sent = idempotent or not isinstance(bad, ks_exc.ConnectTimeout)
        if not last and sure_not_sent:
            return None
        raise OpenStackError(
            f"{what}: the {service} service is not reachable (tried {tries} times)",
            hint=f"check that the {service} API is running (`berth cloud status`), {rerun}",
        ) from None
    except ks_exc.SSLError as bad:
        refused = certificate_refusal(bad)
        if refused is not None:
            raise OpenStackError(
                f"{what}: the {service} service's TLS certificate is not trusted ({refused})",
                hint="the cloud's entry in clouds.yaml must name the site CA as its cacert "
                "(berth writes it on deploy); check the URL's host is one the certificate names",
            ) from None
        if not last:
            return None
        raise OpenStackError(
            f"{what}: the {service} service's TLS handshake failed (tried {tries} times)",
            hint=f"check that the {service} API and its load balancer are running (`berth cloud status`), {rerun}",
        ) from None
    except ks_exc.EndpointNotFound:
        raise OpenStackError(
            f"{what}: the cloud's catalogue has no {service} endpoint",
            hint="check the region and the service catalogue",
        ) from None


def call(
    proxy: Any,
    method: str,
    path: str,
    *,
    what: str,
    json: Any = None,
    params: Mapping[str, Any] | None = None,
    ok: Collection[int] = (200, 201, 202, 204),
    retry: RetryPolicy = DEFAULT_RETRY,
    microversion: str | None = None,
    headers: Mapping[str, str] | None = None,
    idempotent: bool = True,
) -> Any:
    """Send one request (retrying 409/5xx/unreachable); return the JSON body, or None when there is none.

    `what` names the thing being read or changed (a resource key, or "list networks") for the error.
    A status in `ok` (e.g. 404 for an idempotent delete) is success.
    """
    service = getattr(proxy, "service_type", "openstack")
    retry_status = RETRYABLE_STATUS if idempotent else RETRYABLE_CREATE_STATUS
    kwargs: dict[str, Any] = {"raise_exc": False}
    if json is not None:
        kwargs["json"] = json
    if params:
        kwargs["params"] = dict(params)
    if microversion:
        kwargs["microversion"] = microversion
    if headers:
        kwargs["headers"] = dict(headers)
    attempts = (0.0, *retry.delays)
    for number, delay in enumerate(attempts, start=1):
        if delay:
            time.sleep(delay)
        last = number == len(attempts)
        response = _send(
            proxy, method, path, kwargs, what=what, tries=len(attempts), last=last, idempotent=idempotent
        )
        if response is None:
            continue
        status = response.status_code
        if status in ok:  # an error status accepted as done (a 404 on delete) carries no resource
            return _body(response) if response.content and status < 400 else None
        if status in retry_status and not last:
            continue
        message = error_text(_body(response)) or response.reason or "error"
        raise ApiError(
            f"{what}: {service} answered {status} {message}",
            status=status,
            hint="re-run after fixing the cause: berth converges from where it stopped"
            if status >= 500 or status == 409
            else "",
        )
    raise AssertionError("unreachable")  # the loop always returns or raises
