"""The HTTP transport: the Client interface over the daemon's Kubernetes REST API.

Same methods, same results, same errors as the in-process client: Status answers are
mapped back to minikctl.errors (NotFound, Conflict, Invalid with its causes...), so the
CLI prints the same messages whichever transport it used, and `Warning:` headers go to
the warn callback. Standard library only (ssl, json, and wire.py's HTTP/1.1 instead of
http.client): this is the CLI's fast path, and it must not import SQLAlchemy, jsonschema
or rich.

Connections are kept alive, one per thread (controllers share a client across threads);
each watch has its own connection, read by a helper thread so the watch can stop on its
`stop` event or timeout while no event arrives.
"""
from __future__ import annotations

import json
import queue
import re
import socket
import ssl
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from typing import Any

from minikctl import errors
from minikctl.api.kinds import Kind
from minikctl.client import wire
from minikctl.client.modify import Modifiable

JSON = "application/json"
MERGE_PATCH = "application/merge-patch+json"
# Ask the server for the api layer's own answer to unknown fields (422 Invalid naming
# every bad field) rather than Kubernetes' strict-decoding 400: what the in-process
# client gives. Likewise the finish of a graceful deletion has no Kubernetes verb.
FIELD_VALIDATION_HEADER = {"X-Minikctl-Field-Validation": "Api"}
FINISH_DELETE_HEADER = {"X-Minikctl-Finish-Delete": "true"}
_LIST_PAGE = 500
_WATCH_STEP = 0.25
_WARNING = re.compile(r'^\s*\d{3}\s+\S+\s+"((?:[^"\\]|\\.)*)"')


class HttpClient(Modifiable):
    transport = "http"

    def __init__(self, url: str, token: str, ca_file: str | None = None, *, ca_data: bytes | None = None,
                 warn: Callable[[str], None] | None = None, timeout: float = 60.0,
                 managed_fields: bool = False) -> None:
        split = urllib.parse.urlsplit(url)
        if split.scheme != "https" or not split.hostname:
            raise errors.MinikctlError(f"the API server URL must be https://host:port, not {url!r}")
        self.url = url.rstrip("/")
        self.host, self.port = split.hostname, split.port or 443
        self.token = token
        self.warn = warn or (lambda _m: None)
        self.timeout = timeout
        # The server records managedFields; the in-process client's objects have none, and
        # kubectl hides them too, so they are dropped unless asked for (writes keep them:
        # the server carries them over when a body has none).
        self.managed_fields = managed_fields
        self._ssl = ssl.create_default_context(cafile=ca_file, cadata=ca_data.decode() if ca_data else None)
        self._local = threading.local()

    @classmethod
    def from_kubeconfig(cls, path: str, *, warn: Callable[[str], None] | None = None) -> "HttpClient":
        from minikctl.client import kubeconfig

        endpoint = kubeconfig.read(path)
        return cls(endpoint.server, endpoint.token, ca_data=endpoint.ca_pem or None, warn=warn)

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- reads -------------------------------------------------------------------------

    def get(self, kind: Kind, namespace: str, name: str) -> dict:
        return self._call("GET", object_path(kind, namespace, name))

    def list(self, kind: Kind, namespace: str | None = None, *, label_selector: str | None = None,
             field_selector: str | None = None) -> tuple[list[dict], int]:
        query = _query(labelSelector=label_selector, fieldSelector=field_selector, limit=str(_LIST_PAGE))
        items: list[dict] = []
        rv = 0
        while True:
            body = self._call("GET", collection_path(kind, namespace), query=query)
            page = body.get("items") or []
            for item in page:  # list items may omit their type; the in-process client's never do
                item.setdefault("apiVersion", kind.api_version)
                item.setdefault("kind", kind.kind)
            items.extend(page)
            meta = body.get("metadata") or {}
            rv = rv or int(meta.get("resourceVersion") or 0)
            if not meta.get("continue"):
                return items, rv
            query = {**query, "continue": meta["continue"]}

    def watch(self, kind: Kind, namespace: str | None, since: int, *, label_selector: str | None = None,
              field_selector: str | None = None, timeout: float | None = None,
              stop: Any = None) -> Iterator[tuple[str, dict]]:
        """(type, object) pairs after revision `since`, until `timeout` seconds pass or
        `stop` is set; Gone when `since` was compacted. A stream the server ends early
        (its own timeout) is resumed from the last revision seen."""
        deadline = None if timeout is None else time.monotonic() + timeout
        revision = since
        while not _stopped(stop) and (deadline is None or time.monotonic() < deadline):
            left = None if deadline is None else max(1, int(deadline - time.monotonic() + 0.999))
            query = _query(watch="true", resourceVersion=str(revision) if revision > 0 else "0",
                           allowWatchBookmarks="true", labelSelector=label_selector,
                           fieldSelector=field_selector, timeoutSeconds=str(left) if left else None)
            stream = _WatchStream(self, collection_path(kind, namespace), query)
            try:
                for etype, obj in stream.events(stop, deadline):
                    rv = int((obj.get("metadata") or {}).get("resourceVersion") or 0)
                    revision = max(revision, rv)
                    if etype != "BOOKMARK":
                        yield etype, self._clean(obj)
            finally:
                stream.close()

    # -- writes ------------------------------------------------------------------------

    def create(self, obj: Any, *, namespace: str | None = None, dry_run: bool = False) -> dict:
        from minikctl.api import validation

        kind = validation.kind_of(obj)
        ns = _place(kind, obj, namespace)
        return self._call("POST", collection_path(kind, ns), body=obj, query=_query(dryRun="All" if dry_run else None),
                          headers=FIELD_VALIDATION_HEADER)

    def update(self, obj: Any, *, namespace: str | None = None, dry_run: bool = False,
               subresource: str | None = None) -> dict:
        from minikctl.api import validation

        kind = validation.kind_of(obj)
        ns = _place(kind, obj, namespace)
        path = object_path(kind, ns, (obj.get("metadata") or {}).get("name") or "", subresource)
        return self._call("PUT", path, body=obj, query=_query(dryRun="All" if dry_run else None),
                          headers=FIELD_VALIDATION_HEADER)

    def update_status(self, obj: dict, **kw: Any) -> dict:
        return self.update(obj, subresource="status", **kw)

    def delete(self, kind: Kind, namespace: str, name: str, *, dry_run: bool = False,
               propagation: str | None = None, grace_period: int | None = None,
               expect_rv: str | None = None) -> dict:
        options: dict = {"kind": "DeleteOptions", "apiVersion": "v1"}
        if propagation:
            options["propagationPolicy"] = propagation
        if grace_period is not None:
            options["gracePeriodSeconds"] = grace_period
        if expect_rv is not None:
            options["preconditions"] = {"resourceVersion": expect_rv}
        if dry_run:
            options["dryRun"] = ["All"]
        return self._call("DELETE", object_path(kind, namespace, name), body=options)

    def finish_delete(self, kind: Kind, namespace: str, name: str, *, uid: str | None = None) -> dict:
        options: dict = {"kind": "DeleteOptions", "apiVersion": "v1", "gracePeriodSeconds": 0}
        if uid:
            options["preconditions"] = {"uid": uid}
        return self._call("DELETE", object_path(kind, namespace, name), body=options, headers=FINISH_DELETE_HEADER)

    def bind(self, namespace: str, name: str, node_name: str) -> dict:
        from minikctl.api import kinds

        pod = kinds.by_kind("Pod")
        binding = {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": name, "namespace": namespace},
                   "target": {"apiVersion": "v1", "kind": "Node", "name": node_name}}
        self._call("POST", object_path(pod, namespace, name, "binding"), body=binding)
        return self.get(pod, namespace, name)  # the in-process bind returns the bound pod

    def evict(self, namespace: str, name: str, *, grace_period: int | None = None, dry_run: bool = False) -> dict:
        """POST a policy/v1 Eviction: the Status on success; a 429 (TooManyRequests) when a
        PodDisruptionBudget refuses, with the budget's reason in the error's causes."""
        from minikctl.api import kinds

        options: dict = {"kind": "DeleteOptions", "apiVersion": "v1"}
        if grace_period is not None:
            options["gracePeriodSeconds"] = grace_period
        if dry_run:
            options["dryRun"] = ["All"]
        eviction = {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": name, "namespace": namespace},
                    "deleteOptions": options}
        return self._call("POST", object_path(kinds.by_kind("Pod"), namespace, name, "eviction"), body=eviction)

    # -- HTTP --------------------------------------------------------------------------

    def _call(self, method: str, path: str, *, query: dict | None = None, body: Any = None,
              headers: dict | None = None) -> dict:
        status, resp_headers, data = self.request(method, path, query=query, body=body, headers=headers)
        self._warnings(resp_headers)
        value = _decode(data)
        if status >= 400:
            raise error_from_status(status, value)
        return self._clean(value)  # type: ignore[no-any-return]

    def _clean(self, obj: Any) -> Any:
        if not self.managed_fields and isinstance(obj, dict):
            for item in obj.get("items") or [obj]:
                md = item.get("metadata") if isinstance(item, dict) else None
                if isinstance(md, dict):
                    md.pop("managedFields", None)
        return obj

    def request(self, method: str, path: str, *, query: dict | None = None, body: Any = None,
                headers: dict | None = None) -> tuple[int, wire.Headers, bytes]:
        """One request on this thread's kept-alive connection: (status, headers, body)."""
        url = path + ("?" + urllib.parse.urlencode(query) if query else "")
        payload = None if body is None else json.dumps(body, separators=(",", ":")).encode()
        all_headers = self._headers(payload is not None)
        all_headers.update(headers or {})
        for attempt in (0, 1):
            conn, reused = self._connection()
            try:
                conn.request(method, url, body=payload, headers=all_headers)
                resp = conn.getresponse()
                data = resp.read()
                if resp.will_close:
                    self.close()
                return resp.status, resp.headers, data
            except (BrokenPipeError, ConnectionResetError) as exc:  # (wire.RemoteDisconnected too)
                self.close()
                # A kept-alive connection the server had already closed: retry once, fresh.
                if not reused or attempt:
                    raise self._unreachable(exc) from None
            except OSError as exc:
                self.close()
                raise self._unreachable(exc) from None
        raise AssertionError("unreachable")

    def _headers(self, with_body: bool) -> dict[str, str]:
        out = {"Accept": JSON, "Authorization": f"Bearer {self.token}", "User-Agent": "minikctl"}
        if with_body:
            out["Content-Type"] = JSON
        return out

    def _connection(self) -> tuple[wire.Connection, bool]:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            return conn, True
        conn = self.new_connection(self.timeout)
        self._local.conn = conn
        return conn, False

    def new_connection(self, timeout: float | None) -> wire.Connection:
        return wire.Connection(self.host, self.port, context=self._ssl, timeout=timeout)

    def _unreachable(self, exc: BaseException) -> errors.MinikctlError:
        if isinstance(exc, ConnectionRefusedError):
            return errors.MinikctlError(f"The connection to the server {self.host}:{self.port} was refused - "
                                        "did you specify the right host or port?")
        if isinstance(exc, ssl.SSLError):
            return errors.MinikctlError(f"Unable to connect to the server {self.url}: {exc}")
        return errors.MinikctlError(f"Unable to connect to the server {self.url}: {exc}")

    def _warnings(self, headers: wire.Headers) -> None:
        for value in headers.get_all("Warning") or []:
            m = _WARNING.match(value)
            self.warn(re.sub(r"\\(.)", r"\1", m.group(1)) if m else value)


class _WatchStream:
    """One watch request on its own connection; lines are read by a helper thread."""

    def __init__(self, client: HttpClient, path: str, query: dict) -> None:
        self._client = client
        self._conn = client.new_connection(None)
        self._lines: queue.Queue = queue.Queue()
        self._closed = False
        headers = client._headers(False)
        try:
            self._conn.request("GET", path + "?" + urllib.parse.urlencode(query), headers=headers)
            self._resp = self._conn.getresponse()
        except OSError as exc:
            self._conn.close()
            raise client._unreachable(exc) from None
        client._warnings(self._resp.headers)
        if self._resp.status >= 400:
            data = self._resp.read()
            self._conn.close()
            raise error_from_status(self._resp.status, _decode(data))
        threading.Thread(target=self._read, name="minikctl-watch-reader", daemon=True).start()

    def _read(self) -> None:
        try:
            while True:
                line = self._resp.readline()
                if not line:
                    break
                self._lines.put(line)
        except Exception:  # noqa: BLE001 - closed under our feet, reset, bad chunk: the stream is over
            pass
        self._lines.put(None)

    def events(self, stop: Any, deadline: float | None) -> Iterator[tuple[str, dict]]:
        while not _stopped(stop) and (deadline is None or time.monotonic() < deadline):
            try:
                line = self._lines.get(timeout=_WATCH_STEP)
            except queue.Empty:
                continue
            if line is None:
                return
            if not line.strip():
                continue
            event = json.loads(line)
            etype, obj = event.get("type"), event.get("object") or {}
            if etype == "ERROR":
                raise error_from_status(int(obj.get("code") or 500), obj)
            yield etype, obj

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        sock = self._conn.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)  # wakes the reader thread
            except OSError:
                pass
        self._conn.close()


# -- paths ------------------------------------------------------------------------------------


def _base(kind: Kind) -> str:
    return f"/apis/{kind.group}/{kind.version}" if kind.group else f"/api/{kind.version}"


def collection_path(kind: Kind, namespace: str | None) -> str:
    if kind.namespaced and namespace:
        return f"{_base(kind)}/namespaces/{_q(namespace)}/{kind.plural}"
    return f"{_base(kind)}/{kind.plural}"


def object_path(kind: Kind, namespace: str | None, name: str, subresource: str | None = None) -> str:
    ns = (namespace or "default") if kind.namespaced else None
    path = f"{collection_path(kind, ns)}/{_q(name)}"
    return f"{path}/{subresource}" if subresource else path


def _q(segment: str) -> str:
    return urllib.parse.quote(segment, safe="")


def _place(kind: Kind, obj: dict, namespace: str | None) -> str | None:
    md = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    if not kind.namespaced:
        return None
    return md.get("namespace") or namespace or "default"


def _query(**params: str | None) -> dict:
    return {k: v for k, v in params.items() if v is not None and v != ""}


def _stopped(stop: Any) -> bool:
    return stop is not None and stop.is_set()


def _decode(data: bytes) -> Any:
    if not data:
        return {}
    try:
        return json.loads(data)
    except ValueError:
        return {"message": data.decode("utf-8", "replace")}


# -- errors -----------------------------------------------------------------------------------

_BY_REASON: dict[str, type[errors.StatusError]] = {
    "NotFound": errors.NotFound, "AlreadyExists": errors.AlreadyExists, "Conflict": errors.Conflict,
    "Expired": errors.Gone, "Gone": errors.Gone, "Invalid": errors.Invalid, "BadRequest": errors.BadRequest,
    "Forbidden": errors.Forbidden,
}


def error_from_status(code: int, status: Any) -> errors.StatusError:
    """The minikctl error a Status stands for, with its exact message and details."""
    status = status if isinstance(status, dict) else {}
    reason = status.get("reason") or ""
    message = status.get("message") or f"the server responded with status {code}"
    details = status.get("details") or {}
    cls = _BY_REASON.get(reason, errors.StatusError)
    exc = cls.__new__(cls)
    errors.StatusError.__init__(exc, message, kind=details.get("kind", ""), name=details.get("name", ""),
                                group=details.get("group", ""))
    if cls is errors.StatusError:
        exc.code, exc.reason = code, reason or "InternalError"  # type: ignore[misc]
    if isinstance(exc, errors.Invalid):
        exc.causes = [errors.Cause(c.get("field", ""), c.get("reason", ""), c.get("message", ""))
                      for c in details.get("causes") or []]
    if isinstance(exc, errors.Gone):
        m = re.search(r"too old resource version: (\d+) \((\d+)\)", message)
        exc.revision, exc.compacted = (int(m.group(1)), int(m.group(2))) if m else (0, 0)
    if details.get("causes") and not isinstance(exc, errors.Invalid):
        exc.causes = details["causes"]  # type: ignore[attr-defined]
    return exc
