"""Controller events: repeats fold into one event with a count, many similar ones into a
"combined" event, and the event TTL controller prunes events an hour after they last
happened (fake clock)."""
from __future__ import annotations

import datetime as _dt

from minikctl.client.local import LocalClient
from minikctl.controllers import events as ev
from minikctl.controllers.base import rfc3339
from minikctl.controllers.eventttl import EventTTLController
from tests.unit.controllers.batch_helpers import EVENT, new_job
from tests.unit.controllers.conftest import FakeClock, PumpedInformer


class Informers:
    def __init__(self, client) -> None:  # type: ignore[no-untyped-def]
        self.client = client
        self.made: dict[str, PumpedInformer] = {}

    def informer(self, kind: str) -> PumpedInformer:
        from minikctl.api import kinds

        if kind not in self.made:
            self.made[kind] = PumpedInformer(self.client, kinds.by_kind(kind))
        return self.made[kind]


def events(client) -> list[dict]:  # type: ignore[no-untyped-def]
    return client.list(EVENT, "default")[0]


def test_repeated_event_bumps_count_and_last_timestamp(tmp_path):
    client = LocalClient.open(path=str(tmp_path))
    try:
        clock = FakeClock()
        job = client.create(new_job())
        recorder = ev.EventRecorder(client, "job-controller", clock=clock)
        recorder.event(job, ev.WARNING, "FailedCreate", "Error creating: quota")
        clock.advance(30)
        recorder.event(job, ev.WARNING, "FailedCreate", "Error creating: quota")
        recorder.event(job, ev.WARNING, "FailedCreate", "Error creating: quota")
        recorder.event(job, ev.NORMAL, "SuccessfulCreate", "Created pod: pi-abcde")
        found = sorted(events(client), key=lambda e: e["reason"])
        assert [(e["reason"], e["count"]) for e in found] == [("FailedCreate", 3), ("SuccessfulCreate", 1)]
        failed = found[0]
        assert failed["lastTimestamp"] == rfc3339(clock.now())
        assert failed["firstTimestamp"] == rfc3339(clock.now() - _dt.timedelta(seconds=30))
        assert failed["involvedObject"]["name"] == "pi" and failed["source"]["component"] == "job-controller"
    finally:
        client.close()


def test_many_similar_events_are_combined(tmp_path):
    client = LocalClient.open(path=str(tmp_path))
    try:
        job = client.create(new_job(name="many"))
        recorder = ev.EventRecorder(client, "job-controller", clock=FakeClock())
        for i in range(15):
            recorder.event(job, ev.NORMAL, "SuccessfulCreate", f"Created pod: many-{i}")
        found = events(client)
        plain = [e for e in found if not e["message"].startswith(ev.COMBINED)]
        [combined] = [e for e in found if e["message"].startswith(ev.COMBINED)]
        assert len(plain) == 9
        assert combined["count"] == 6 and combined["message"] == ev.COMBINED + "Created pod: many-14"
    finally:
        client.close()


def test_events_expire_an_hour_after_they_last_happened(tmp_path):
    client = LocalClient.open(path=str(tmp_path))
    try:
        clock = FakeClock()
        job = client.create(new_job(name="ttl"))
        recorder = ev.EventRecorder(client, "job-controller", clock=clock)
        recorder.event(job, ev.NORMAL, "Old", "happened first")
        clock.advance(1800)
        recorder.event(job, ev.NORMAL, "Repeated", "again and again")
        informers = Informers(client)
        ttl = EventTTLController(client, informers, clock=clock)
        informers.made["Event"].pump()

        def sync_all() -> None:
            informers.made["Event"].pump()
            for e in events(client):
                ttl.sync(f"default/{e['metadata']['name']}")

        clock.advance(1801)  # "Old" is 3601 s old, "Repeated" 1801 s
        sync_all()
        assert [e["reason"] for e in events(client)] == ["Repeated"]
        clock.advance(1000)
        recorder.event(job, ev.NORMAL, "Repeated", "again and again")  # a bump renews it
        clock.advance(1000)
        sync_all()
        assert [e["reason"] for e in events(client)] == ["Repeated"]
        clock.advance(2601)
        sync_all()
        assert events(client) == []
    finally:
        client.close()


def test_spam_filter_lets_a_burst_of_25_through_then_one_per_five_minutes(tmp_path):
    client = LocalClient.open(path=str(tmp_path))
    try:
        clock = FakeClock()
        correlator = ev.EventCorrelator(clock=clock.monotonic)
        job = client.create(new_job(name="flood"))
        recorder = ev.EventRecorder(client, "job-controller", clock=clock)

        def record() -> None:
            # The recorder builds the event; this correlator (with the fake clock) writes it.
            recorder.sink = lambda event: correlator.write(client, event)
            recorder.event(job, ev.WARNING, "FailedCreate", "Error creating: quota exceeded")

        for _ in range(40):
            record()
        [event] = events(client)
        assert event["count"] == 25
        clock.advance(300)
        record()
        record()
        assert events(client)[0]["count"] == 26
    finally:
        client.close()
