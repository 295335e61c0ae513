"""The store on a real SQLite file: revisions, conflicts, the change log, compaction."""
from __future__ import annotations

import pytest

from minikctl import errors
from minikctl.store.store import ADDED, DELETED, MODIFIED, Store


@pytest.fixture
def store(tmp_path):
    s = Store.open(str(tmp_path))
    yield s
    s.close()


def cm(name: str, value: str = "1") -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "default"},
            "data": {"v": value}}


def test_each_write_takes_the_next_global_revision(store):
    a = store.create("configmaps", "default", "a", cm("a"))
    b = store.create("configmaps", "default", "b", cm("b"))
    a2 = store.update("configmaps", "default", "a", cm("a", "2"), expect_rv=a["metadata"]["resourceVersion"])
    assert [a["metadata"]["resourceVersion"], b["metadata"]["resourceVersion"], a2["metadata"]["resourceVersion"]] == ["1", "2", "3"]
    assert store.current_revision() == 3


def test_create_twice_is_already_exists(store):
    store.create("configmaps", "default", "a", cm("a"))
    with pytest.raises(errors.AlreadyExists, match='configmaps "a" already exists'):
        store.create("configmaps", "default", "a", cm("a"))


def test_same_name_in_other_namespace_or_resource_is_distinct(store):
    store.create("configmaps", "default", "a", cm("a"))
    store.create("configmaps", "other", "a", cm("a"))
    store.create("secrets", "default", "a", cm("a"))
    assert len(store.list("configmaps")[0]) == 2
    assert len(store.list("configmaps", "other")[0]) == 1


def test_stale_resource_version_is_a_conflict(store):
    a = store.create("configmaps", "default", "a", cm("a"))
    store.update("configmaps", "default", "a", cm("a", "2"), expect_rv=a["metadata"]["resourceVersion"])
    with pytest.raises(errors.Conflict, match="the object has been modified"):
        store.update("configmaps", "default", "a", cm("a", "3"), expect_rv=a["metadata"]["resourceVersion"])
    assert store.get("configmaps", "default", "a")["data"] == {"v": "2"}


def test_missing_object_is_not_found(store):
    with pytest.raises(errors.NotFound, match='configmaps "nope" not found'):
        store.get("configmaps", "default", "nope")
    with pytest.raises(errors.NotFound):
        store.update("configmaps", "default", "nope", cm("nope"), expect_rv=None)
    with pytest.raises(errors.NotFound):
        store.delete("configmaps", "default", "nope")


def test_list_is_sorted_and_filterable(store):
    for n in ("c", "a", "b"):
        obj = cm(n)
        obj["metadata"]["labels"] = {"odd": str(n != "b")}
        store.create("configmaps", "default", n, obj)
    items, rev = store.list("configmaps", "default")
    assert [i["metadata"]["name"] for i in items] == ["a", "b", "c"]
    assert rev == 3
    odd, _ = store.list("configmaps", match=lambda o: o["metadata"]["labels"]["odd"] == "True")
    assert [i["metadata"]["name"] for i in odd] == ["a", "c"]


def test_change_log_replays_every_write_in_order(store):
    a = store.create("configmaps", "default", "a", cm("a"))
    store.update("configmaps", "default", "a", cm("a", "2"), expect_rv=a["metadata"]["resourceVersion"])
    store.delete("configmaps", "default", "a")
    events, upto = store.changes_since(0)
    assert [(e.type, e.revision) for e in events] == [(ADDED, 1), (MODIFIED, 2), (DELETED, 3)]
    assert events[2].object["metadata"]["resourceVersion"] == "3"
    assert upto == 3
    assert store.changes_since(2)[0][0].type == DELETED


def test_compacted_revisions_are_gone(store):
    for i in range(10):
        store.create("configmaps", "default", f"c{i}", cm(f"c{i}"))
    assert store.compact(keep=4) == 6
    with pytest.raises(errors.Gone, match="too old resource version: 3"):
        store.changes_since(3)
    events, _ = store.changes_since(6)
    assert [e.revision for e in events] == [7, 8, 9, 10]


def test_filtered_watch_moves_past_other_writes(store):
    """A watcher of one resource is not made Gone by compaction of writes it never cared
    about: its periodic read moves it past them (writes of other resources do not even
    wake it to read)."""
    w = store.watch(0, resource="secrets")
    for i in range(5):
        store.create("configmaps", "default", f"c{i}", cm(f"c{i}"))
    assert w.next(0.05) == []
    assert w.revision == 0  # not woken by configmap writes
    w._poll = 0.0  # the fallback period has passed
    assert w.next(0.05) == []
    assert w.revision == 5
    store.compact(keep=1)
    store.create("secrets", "default", "s", cm("s"))
    assert [e.object["metadata"]["name"] for e in w.next(1)] == ["s"]
    w.close()


def test_a_stale_update_that_changes_nothing_is_still_a_conflict(tmp_path):
    """As Kubernetes: the resourceVersion precondition is checked before the no-op shortcut."""
    from minikctl.client.local import LocalClient

    api = LocalClient.open(path=str(tmp_path))
    first = api.create(cm("a"))
    changed = dict(first, data={"v": "2"})
    api.update(changed)
    with pytest.raises(errors.Conflict):
        api.update(changed)  # still carries the first resourceVersion
    api.close()
