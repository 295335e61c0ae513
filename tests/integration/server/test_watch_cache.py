"""The watch cache (server/cacher.py): every watcher of a resource gets every event of
the store's change log, in order, filtered for it, while the store is read and each
event encoded once per format; watches the cache cannot serve (an old revision, a
watcher left behind, a compacted revision) are served from the store, exactly."""
from __future__ import annotations

import json
import threading

import pytest

from minikctl.api import kinds
from minikctl.server import cacher, watch

from .wire import request

CM = kinds.by_kind("ConfigMap")


def configmap(name: str, ns: str = "default", **labels: str) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": ns, "labels": labels},
            "data": {"v": "0"}}


def events_of(data: bytes) -> list[tuple[str, str, str]]:
    out = []
    for line in data.splitlines():
        if line.strip():
            e = json.loads(line)
            md = e["object"]["metadata"]
            out.append((e["type"], md.get("name", ""), md["resourceVersion"]))
    return out


def log_since(served, since: int, ns: str | None = "default") -> list[tuple[str, str, str]]:
    events, _ = served.local.store.changes_since(since, resource="configmaps", namespace=ns, limit=100000)
    return [(e.type, e.object["metadata"]["name"], e.object["metadata"]["resourceVersion"]) for e in events]


def watch_raw(served, query: str, accept: str = "application/json", timeout: float = 30) -> bytes:
    code, _, data = request(served, "GET", f"/api/v1/namespaces/default/configmaps?watch=true&{query}",
                            headers={"Accept": accept}, timeout=timeout)
    assert code == 200, data
    return data


def writes(served, prefix: str, count: int) -> None:
    for i in range(count):
        served.local.create(configmap(f"{prefix}-{i}", app=prefix, odd=str(i % 2)))
    for i in range(count):
        served.local.modify(CM, "default", f"{prefix}-{i}", lambda o: o["data"].update(v="1"))
    for i in range(0, count, 2):
        served.local.delete(CM, "default", f"{prefix}-{i}")


def current(served) -> int:
    return served.local.store.current_revision()


@pytest.fixture
def encodes(monkeypatch):
    """How many times an event (not a BOOKMARK/ERROR) was turned into bytes."""
    counted = {"n": 0}
    real = watch._Encoder.event

    def counting(self, type_, obj):
        if type_ not in ("BOOKMARK", "ERROR"):
            counted["n"] += 1
        return real(self, type_, obj)

    monkeypatch.setattr(watch._Encoder, "event", counting)
    return counted


def test_concurrent_watchers_all_see_every_event_in_order_encoded_once(served, encodes):
    since = current(served)
    results: dict[int, bytes] = {}

    def watcher(i: int) -> None:
        results[i] = watch_raw(served, f"resourceVersion={since}&timeoutSeconds=4")

    threads = [threading.Thread(target=watcher, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    writes(served, "fan", 10)
    for t in threads:
        t.join(30)
    expected = log_since(served, since)
    assert len(expected) == 25
    assert all(events_of(results[i]) == expected for i in range(20))
    assert encodes["n"] == len(expected), "each event must be encoded once for all 20 watchers"


def test_selectors_namespace_and_tables_through_the_cache(served):
    served.local.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "other"}})
    since = current(served)
    served.local.create(configmap("elsewhere", ns="other", app="sel"))
    writes(served, "sel", 4)
    everything = log_since(served, since)
    odd = [e for e in everything if e[1] in ("sel-1", "sel-3")]
    got = events_of(watch_raw(served, f"resourceVersion={since}&timeoutSeconds=1&labelSelector=odd%3D1"))
    assert got == odd
    got = events_of(watch_raw(served, f"resourceVersion={since}&timeoutSeconds=1&fieldSelector=metadata.name%3Dsel-2"))
    assert got == [e for e in everything if e[1] == "sel-2"]
    data = watch_raw(served, f"resourceVersion={since}&timeoutSeconds=1",
                     accept="application/json;as=Table;v=v1;g=meta.k8s.io,application/json")
    rows = [json.loads(line) for line in data.splitlines() if line.strip()]
    assert [r["object"]["kind"] for r in rows] == ["Table"] * len(everything)
    assert [r["object"]["rows"][0]["cells"][0] for r in rows] == [e[1] for e in everything]
    # All namespaces: the other namespace's ConfigMap too, in revision order.
    code, _, data = request(served, "GET", f"/api/v1/configmaps?watch=true&resourceVersion={since}&timeoutSeconds=1")
    assert [e[1] for e in events_of(data)][0] == "elsewhere"
    assert events_of(data) == log_since(served, since, ns=None)


def test_a_watch_from_before_the_cache_is_served_from_the_store(served):
    before = current(served)
    writes(served, "old", 3)
    middle = current(served)
    watch_raw(served, f"resourceVersion={middle}&timeoutSeconds=1")  # the cache exists and holds > middle
    writes(served, "old2", 2)
    assert events_of(watch_raw(served, f"resourceVersion={before}&timeoutSeconds=1")) == log_since(served, before)


def test_a_watcher_left_behind_by_the_window_goes_on_from_the_store(served, monkeypatch):
    monkeypatch.setattr(cacher, "KEEP", 5)
    monkeypatch.setattr(cacher, "_TRIM_EVERY", 2)
    served.server._httpd.ctx.watches.close()  # a fresh cache, with the small window
    served.server._httpd.ctx.watches = cacher.WatchCache(served.local)
    since = current(served)
    watch_raw(served, f"resourceVersion={since}&timeoutSeconds=1")  # starts the cache at `since`
    writes(served, "lag", 8)  # 20 events: far more than the window
    assert events_of(watch_raw(served, f"resourceVersion={since}&timeoutSeconds=1")) == log_since(served, since)


def test_a_compacted_revision_is_still_410(served):
    writes(served, "gone", 3)
    served.local.store.compact(keep=1)
    code, _, data = request(served, "GET", "/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=1"
                                           "&timeoutSeconds=2")
    assert code == 200
    event = json.loads(data.splitlines()[0])
    assert event["type"] == "ERROR" and event["object"]["code"] == 410 and event["object"]["reason"] == "Expired"


def test_a_watch_from_a_future_revision_does_not_disable_the_cache(served, encodes):
    served.server._httpd.ctx.watches.close()
    served.server._httpd.ctx.watches = cacher.WatchCache(served.local)
    now = current(served)
    assert events_of(watch_raw(served, f"resourceVersion={now + 1000}&timeoutSeconds=1")) == []
    writes(served, "future", 2)
    results = [watch_raw(served, f"resourceVersion={now}&timeoutSeconds=1") for _ in range(3)]
    assert all(events_of(r) == log_since(served, now) for r in results)
    assert encodes["n"] == len(log_since(served, now))  # served by the cache, encoded once


def test_the_cache_says_behind_once_a_position_left_its_window(served, monkeypatch):
    import time

    monkeypatch.setattr(cacher, "KEEP", 5)
    monkeypatch.setattr(cacher, "_TRIM_EVERY", 2)
    since = current(served)
    c = cacher.Cacher(served.local, CM)
    try:
        seq = c.position(since)
        first, seq_after = c.read(seq, 0.01)
        assert first == [] and seq_after == seq
        writes(served, "window", 8)
        last = current(served)
        deadline = time.monotonic() + 10
        while c._revisions[-1:] != [last] and time.monotonic() < deadline:
            time.sleep(0.05)
        with pytest.raises(cacher.Behind):
            c.read(seq, 0.01)
        with pytest.raises(cacher.Behind):
            c.position(since)
        recent = c.position(c.floor)
        batch, _ = c.read(recent, 0.01)
        assert [e.revision for e in batch] == sorted(e.revision for e in batch) and batch[-1].revision == last
    finally:
        c.stop()


def test_lists_come_from_the_cache_byte_for_byte_what_the_store_gives(served):
    from minikctl.server.exchange import dumps

    for round_ in range(2):  # the first list starts the cache; both must equal the store's answer
        writes(served, f"bytes{round_}", 3)
        items, rev = served.local.list(CM, "default")
        code, _, data = request(served, "GET", "/api/v1/namespaces/default/configmaps")
        assert code == 200
        assert data == dumps({"kind": "ConfigMapList", "apiVersion": "v1", "metadata": {"resourceVersion": str(rev)},
                              "items": items})
    c = served.server._httpd.ctx.watches.cacher(CM)
    assert c.progress >= rev and all(o._json is not None for o in c.list("default", None)[0])


def test_a_list_right_after_a_write_sees_it(served):
    for i in range(20):  # consistent reads: no waiting for the cache's thread
        served.local.create(configmap(f"fresh-{i}"))
        code, _, data = request(served, "GET", f"/api/v1/namespaces/default/configmaps?fieldSelector=metadata.name%3Dfresh-{i}")
        assert [o["metadata"]["name"] for o in json.loads(data)["items"]] == [f"fresh-{i}"]
        served.local.delete(CM, "default", f"fresh-{i}")
        code, _, data = request(served, "GET", "/api/v1/namespaces/default/configmaps")
        assert f"fresh-{i}" not in [o["metadata"]["name"] for o in json.loads(data)["items"]]


def test_cached_lists_page_filter_and_print_tables(served):
    writes(served, "page", 6)  # page-1, page-3, page-5 remain (and page-0..4 even deleted)
    names = sorted(o["metadata"]["name"] for o in served.local.list(CM, "default")[0])
    got, token = [], ""
    while True:
        code, _, data = request(served, "GET", "/api/v1/namespaces/default/configmaps?limit=2"
                                + (f"&continue={token}" if token else ""))
        body = json.loads(data)
        got += [o["metadata"]["name"] for o in body["items"]]
        token = body["metadata"].get("continue")
        if not token:
            break
    assert got == names
    code, _, data = request(served, "GET", "/api/v1/namespaces/default/configmaps?labelSelector=app%3Dpage,odd%3D1")
    assert [o["metadata"]["name"] for o in json.loads(data)["items"]] == ["page-1", "page-3", "page-5"]
    code, _, data = request(served, "GET", "/api/v1/namespaces/default/configmaps?labelSelector=app%3Dpage",
                            headers={"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"})
    assert [r["cells"][0] for r in json.loads(data)["rows"]] == ["page-1", "page-3", "page-5"]
    code, _, data = request(served, "GET", "/api/v1/namespaces/default/configmaps?labelSelector=in%20valid")
    assert code == 400


def test_the_first_watch_of_a_resource_starts_the_cache_from_its_revision(served, encodes):
    served.server._httpd.ctx.watches.close()
    served.server._httpd.ctx.watches = cacher.WatchCache(served.local)
    since = current(served)
    writes(served, "first", 3)  # before any cache exists
    results = [watch_raw(served, f"resourceVersion={since}&timeoutSeconds=1") for _ in range(3)]
    assert all(events_of(r) == log_since(served, since) for r in results)
    assert encodes["n"] == len(log_since(served, since))  # all three from the cache
    assert served.server._httpd.ctx.watches.cacher(CM).floor == since
