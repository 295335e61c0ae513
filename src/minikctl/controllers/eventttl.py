"""Events expire an hour after they last happened, as the API server's event TTL
(--event-ttl=1h: each write gives the event a fresh one-hour lease in etcd). Here a
small controller watches Events and deletes each one when its hour is up; every bump
of a repeated event moves its expiry along."""
from __future__ import annotations

import datetime as _dt
import logging

from minikctl import errors
from minikctl.api import kinds, meta
from minikctl.controllers.base import Clock, Controller, Informers, split_key
from minikctl.machinery.informer import key_of

log = logging.getLogger(__name__)

EVENT_TTL = 3600.0


class EventTTLController(Controller):
    name = "event-ttl-controller"
    kind = "Event"

    def __init__(self, client, informers: Informers, *, clock: Clock | None = None,  # type: ignore[no-untyped-def]
                 recorder=None, ttl: float = EVENT_TTL) -> None:
        super().__init__(client, informers, clock=clock)
        self.event_kind = kinds.by_kind("Event")
        self.ttl = ttl
        self.primary.add_handler(self.handle_event)

    def handle_event(self, etype: str, event: dict, old: dict | None) -> None:
        if etype == "DELETED":
            return  # a pending wake-up for it finds it gone
        self.queue.add_after(key_of(event), self.time_left(event))

    def resync(self) -> None:
        """Nothing: every event already has its wake-up at expiry (set by the handler);
        syncing them all every minute would only re-arm those timers."""

    def time_left(self, event: dict) -> float:
        last = last_seen(event)
        if last is None:
            return 0.0
        return (last + _dt.timedelta(seconds=self.ttl) - self.clock.now()).total_seconds()

    def sync(self, key: str) -> None:
        event = self.primary.get(key)
        if event is None:
            return
        left = self.time_left(event)
        if left > 0:
            self.queue.add_after(key, left)  # bumped since it was queued
            return
        namespace, name = split_key(key)
        try:
            # Only the version we judged: a bump in between keeps the event alive.
            self.client.delete(self.event_kind, namespace, name, expect_rv=event["metadata"].get("resourceVersion"))
        except errors.NotFound:
            pass
        except errors.Conflict:
            self.queue.add(key)  # it changed under us: judge the new version


def last_seen(event: dict) -> _dt.datetime | None:
    """When the event last happened: series, lastTimestamp, eventTime, or creation."""
    series = event.get("series") or {}
    for value in (series.get("lastObservedTime"), event.get("lastTimestamp"), event.get("eventTime"),
                  (event.get("metadata") or {}).get("creationTimestamp")):
        if value:
            try:
                return meta.parse_time(value)
            except ValueError:
                continue
    return None
