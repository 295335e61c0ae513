"""The store: objects by key, a global revision, a change log, optimistic concurrency.

Objects are plain Kubernetes dicts. The store owns exactly one field of them:
metadata.resourceVersion, set to the revision of the object's last write. Everything
else (uid, generation, timestamps) is the api layer's business.
"""
from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from minikctl import errors
from minikctl.store import schema
from minikctl.store.engine import WRITE, open_engine
from minikctl.store.notify import Notifier

ADDED, MODIFIED, DELETED = "ADDED", "MODIFIED", "DELETED"


@dataclass(frozen=True)
class Event:
    type: str
    object: dict
    revision: int
    resource: str


def key_of(resource: str, namespace: str, name: str) -> str:
    return f"{resource}/{namespace}/{name}"


def _dump(obj: dict) -> str:
    return json.dumps(obj, separators=(",", ":"), sort_keys=False)


def _with_rv(obj: dict, rev: int) -> dict:
    obj = dict(obj)
    obj["metadata"] = {**obj.get("metadata", {}), "resourceVersion": str(rev)}
    return obj


class Store:
    def __init__(self, url: str, notify_dir: str) -> None:
        self.url = url
        try:
            self.engine = open_engine(url)
            self._init_schema()
        except OperationalError as exc:
            raise errors.StoreUnavailable(f"cannot open the store at {url}: {exc.orig}") from exc
        self.notifier = Notifier(notify_dir)
        self._write_lock = threading.Lock()
        self._write_opts = WRITE if self.engine.dialect.name == "sqlite" else {}

    @classmethod
    def open(cls, home: str, url: str | None = None) -> "Store":
        url = url or os.environ.get("MINIKCTL_STORE_URL") or f"sqlite:///{os.path.join(home, 'state.db')}"
        return cls(url, os.path.join(home, "notify"))

    # -- setup ---------------------------------------------------------------------

    def _init_schema(self) -> None:
        with self.engine.connect().execution_options(**WRITE) as conn, conn.begin():
            schema.metadata.create_all(conn, checkfirst=True)
            have = conn.execute(select(schema.revision.c.id)).first()
            self.created = have is None
            if self.created:
                conn.execute(insert(schema.revision).values(id=1, current=0, compacted=0))

    def close(self) -> None:
        self.engine.dispose()

    # -- reads ---------------------------------------------------------------------

    def current_revision(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(schema.revision.c.current)).scalar_one())

    def get(self, resource: str, namespace: str, name: str) -> dict:
        o = schema.objects
        with self.engine.connect() as conn:
            row = conn.execute(select(o.c.value).where(o.c.key == key_of(resource, namespace, name))).first()
        if row is None:
            raise errors.NotFound(resource, name)
        return json.loads(row[0])

    def list(
        self, resource: str, namespace: str | None = None, *, match: Callable[[dict], bool] | None = None
    ) -> tuple[list[dict], int]:
        """Objects of one resource (in one namespace, or all), sorted by namespace and
        name, with the revision the list was read at."""
        o = schema.objects
        query = select(o.c.value).where(o.c.resource == resource)
        if namespace is not None:
            query = query.where(o.c.namespace == namespace)
        query = query.order_by(o.c.namespace, o.c.name)
        with self.engine.connect() as conn, conn.begin():
            rev = int(conn.execute(select(schema.revision.c.current)).scalar_one())
            rows = conn.execute(query).all()
        items = [json.loads(r[0]) for r in rows]
        if match is not None:
            items = [i for i in items if match(i)]
        return items, rev

    def count(self, resource: str, namespace: str | None = None) -> int:
        o = schema.objects
        query = select(func.count()).select_from(o).where(o.c.resource == resource)
        if namespace is not None:
            query = query.where(o.c.namespace == namespace)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    # -- writes --------------------------------------------------------------------

    def _bump(self, conn) -> int:  # type: ignore[no-untyped-def]
        r = schema.revision
        conn.execute(update(r).where(r.c.id == 1).values(current=r.c.current + 1))
        return int(conn.execute(select(r.c.current).where(r.c.id == 1)).scalar_one())

    def _log(self, conn, rev: int, kind: str, resource: str, namespace: str, key: str, obj: dict) -> None:  # type: ignore[no-untyped-def]
        conn.execute(
            insert(schema.changes).values(
                revision=rev, key=key, resource=resource, namespace=namespace, type=kind, value=_dump(obj)
            )
        )

    @contextlib.contextmanager
    def _write(self):  # type: ignore[no-untyped-def]
        """A write transaction. Writers in one process queue on a lock first: SQLite's
        busy handler sleeps between retries, which made a 100-pod sync racing an event
        writer three times slower than taking turns."""
        with self._write_lock, self.engine.connect().execution_options(**self._write_opts) as conn:
            yield conn

    def create(self, resource: str, namespace: str, name: str, obj: dict) -> dict:
        key = key_of(resource, namespace, name)
        o = schema.objects
        try:
            with self._write() as conn, conn.begin():
                if conn.execute(select(o.c.key).where(o.c.key == key)).first() is not None:
                    raise errors.AlreadyExists(resource, name)
                rev = self._bump(conn)
                stored = _with_rv(obj, rev)
                conn.execute(
                    insert(o).values(
                        key=key, resource=resource, namespace=namespace, name=name, revision=rev, value=_dump(stored)
                    )
                )
                self._log(conn, rev, ADDED, resource, namespace, key, stored)
        except IntegrityError as exc:  # a racing creator on a database without write locks
            raise errors.AlreadyExists(resource, name) from exc
        self.notifier.notify(resource)
        return stored

    def update(self, resource: str, namespace: str, name: str, obj: dict, *, expect_rv: str | None) -> dict:
        """Replace the object. With expect_rv, only if it is still at that revision
        (compare-and-swap): otherwise Conflict."""
        key = key_of(resource, namespace, name)
        o = schema.objects
        with self._write() as conn, conn.begin():
            row = conn.execute(select(o.c.revision).where(o.c.key == key)).first()
            if row is None:
                raise errors.NotFound(resource, name)
            if expect_rv is not None and str(row[0]) != str(expect_rv):
                raise errors.Conflict(resource, name)
            rev = self._bump(conn)
            stored = _with_rv(obj, rev)
            done = conn.execute(
                update(o).where(and_(o.c.key == key, o.c.revision == row[0])).values(revision=rev, value=_dump(stored))
            )
            if done.rowcount != 1:  # lost a race on a database without write locks
                raise errors.Conflict(resource, name)
            self._log(conn, rev, MODIFIED, resource, namespace, key, stored)
        self.notifier.notify(resource)
        return stored

    def delete(self, resource: str, namespace: str, name: str, *, expect_rv: str | None = None) -> dict:
        key = key_of(resource, namespace, name)
        o = schema.objects
        with self._write() as conn, conn.begin():
            row = conn.execute(select(o.c.revision, o.c.value).where(o.c.key == key)).first()
            if row is None:
                raise errors.NotFound(resource, name)
            if expect_rv is not None and str(row[0]) != str(expect_rv):
                raise errors.Conflict(resource, name)
            rev = self._bump(conn)
            stored = _with_rv(json.loads(row[1]), rev)
            conn.execute(delete(o).where(and_(o.c.key == key, o.c.revision == row[0])))
            self._log(conn, rev, DELETED, resource, namespace, key, stored)
        self.notifier.notify(resource)
        return stored

    # -- the change log ---------------------------------------------------------------

    def changes_since(
        self, since: int, *, resource: str | None = None, namespace: str | None = None, limit: int = 1000
    ) -> tuple[list[Event], int]:
        """Writes after revision `since`, in order, and the revision read up to (so a
        filtered watcher can move past writes it does not care about). Gone if `since`
        was compacted away."""
        c = schema.changes
        query = select(c.c.revision, c.c.type, c.c.value, c.c.resource).where(c.c.revision > since)
        if resource is not None:
            query = query.where(c.c.resource == resource)
        if namespace is not None:
            query = query.where(c.c.namespace == namespace)
        query = query.order_by(c.c.revision).limit(limit)
        with self.engine.connect() as conn, conn.begin():
            current, compacted = conn.execute(select(schema.revision.c.current, schema.revision.c.compacted)).one()
            if since < compacted:
                raise errors.Gone(since, int(compacted))
            rows = conn.execute(query.where(c.c.revision <= current)).all()
        events = [Event(r[1], json.loads(r[2]), int(r[0]), r[3]) for r in rows]
        upto = events[-1].revision if len(events) == limit else int(current)
        return events, max(upto, since)

    def compact(self, keep: int = 1000) -> int:
        """Drop log entries older than the newest `keep` revisions; returns the new
        compaction point. Watches from before it get Gone and must relist."""
        r, c = schema.revision, schema.changes
        with self._write() as conn, conn.begin():
            current, compacted = conn.execute(select(r.c.current, r.c.compacted)).one()
            target = max(int(compacted), int(current) - keep)
            if target > compacted:
                conn.execute(delete(c).where(c.c.revision <= target))
                conn.execute(update(r).where(r.c.id == 1).values(compacted=target))
        return target

    def watch(self, since: int, *, resource: str | None = None, namespace: str | None = None) -> "Watch":
        from minikctl.store.watch import Watch

        return Watch(self, since, resource=resource, namespace=namespace)
