"""The HTTP client against a real ApiServer gives what the in-process client gives:
the same objects, the same errors (classes, messages, causes), the same watch events."""
from __future__ import annotations

import copy
import threading
import time

import pytest

from minikctl import errors
from minikctl.api import kinds

CM, DEPLOY, POD, NS = (kinds.by_kind(k) for k in ("ConfigMap", "Deployment", "Pod", "Namespace"))
# Fields each write sets anew (identity, time, revision): compared by presence only.
_VOLATILE = ("uid", "creationTimestamp", "resourceVersion", "deletionTimestamp")


def normal(obj: dict) -> dict:
    obj = copy.deepcopy(obj)
    md = obj.get("metadata") or {}
    for key in _VOLATILE:
        if key in md:
            md[key] = "<set>"
    md["name"] = md.get("name", "").replace("-local", "-x").replace("-http", "-x")
    for c in (obj.get("status") or {}).get("conditions") or []:
        c.pop("lastTransitionTime", None)
    return obj


def configmap(name: str, **data: str) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": {"app": "parity"}},
            "data": dict(data)}


def deployment(name: str, replicas: int = 1) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "c", "image": "busybox", "command": ["sleep", "1"]}]}}}}


@pytest.fixture(scope="module")
def clients(served):
    http_warnings: list[str] = []
    local_warnings: list[str] = []
    http = served.http(warn=http_warnings.append)
    local = served.local
    local.warn = local_warnings.append
    yield {"local": local, "http": http}, {"local": local_warnings, "http": http_warnings}
    http.close()


def both(clients, fn):
    """Run fn(client, suffix) on both transports: (result or error) per transport."""
    out = {}
    for name, client in clients[0].items():
        try:
            out[name] = ("ok", fn(client, name))
        except errors.MinikctlError as exc:
            out[name] = ("error", exc)
    return out["local"], out["http"]


def same_error(a: BaseException, b: BaseException) -> None:
    assert type(a) is type(b), (a, b)
    assert str(a).replace("-local", "-x") == str(b).replace("-http", "-x")
    if isinstance(a, errors.Invalid):
        assert [c.render() for c in a.causes] == [c.render() for c in b.causes]
        assert (a.kind, a.group) == (b.kind, b.group)


def test_create_get_update_delete_match(clients):
    def flow(c, who):
        name = f"cm-{who}"
        created = c.create(configmap(name, a="1"))
        got = c.get(CM, "default", name)
        got["data"]["b"] = "2"
        updated = c.update(got)
        changed, did = c.modify(CM, "default", name, lambda o: o["data"].update(c="3"))
        same, did_again = c.modify(CM, "default", name, lambda o: None)
        deleted = c.delete(CM, "default", name)
        return [normal(created), normal(updated), normal(changed), did, normal(same), did_again, normal(deleted)]

    (lk, local), (hk, http) = both(clients, flow)
    assert lk == hk == "ok"
    assert local == http


def test_errors_match(clients):
    cases = [
        lambda c, w: c.get(CM, "default", "nosuch"),
        lambda c, w: c.get(DEPLOY, "default", "nosuch"),
        lambda c, w: c.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "Bad_Name"},
                               "data": {"a": 1}, "extra": True}),
        lambda c, w: c.create({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": f"d-{w}"},
                               "spec": {"replicas": -1}}),
        lambda c, w: c.create({"kind": "ConfigMap", "metadata": {"name": "x"}}),
        lambda c, w: c.create({"apiVersion": "extensions/v1beta1", "kind": "Deployment", "metadata": {"name": "x"}}),
        lambda c, w: c.create(configmap("x", a="1"), namespace="no-such-namespace"),
        lambda c, w: c.list(POD, "default", label_selector="app in (("),
        lambda c, w: c.list(POD, "default", field_selector="spec.bogus=1"),
        lambda c, w: c.delete(CM, "default", "nosuch"),
    ]
    for case in cases:
        (lk, local), (hk, http) = both(clients, case)
        assert lk == hk == "error", (local, http)
        same_error(local, http)


def test_already_exists_and_stale_update(clients):
    def flow(c, who):
        name = f"dup-{who}"
        first = c.create(configmap(name, a="1"))
        try:
            c.create(configmap(name, a="1"))
        except errors.AlreadyExists as exc:
            exists = str(exc)
        c.modify(CM, "default", name, lambda o: o["data"].update(a="2"))
        try:
            c.update(first)  # first's resourceVersion is stale now
        except errors.Conflict as exc:
            conflict = str(exc)
        try:
            c.delete(CM, "default", name, expect_rv="1")
        except errors.Conflict as exc:
            precondition = str(exc)
        return exists.replace(who, "x"), conflict.replace(who, "x"), precondition.replace(who, "x")

    (lk, local), (hk, http) = both(clients, flow)
    assert lk == hk == "ok"
    assert local == http


def test_list_selectors_and_dry_run(clients):
    def flow(c, who):
        for i in range(3):
            c.create({**configmap(f"sel-{who}-{i}", i=str(i)),
                      "metadata": {"name": f"sel-{who}-{i}", "labels": {"set": who, "n": str(i)}}})
        dry = c.create(configmap(f"dry-{who}", a="1"), dry_run=True)
        items, rev = c.list(CM, "default", label_selector=f"set={who},n!=1")
        by_name, _ = c.list(CM, "default", field_selector=f"metadata.name=sel-{who}-2")
        everywhere, _ = c.list(CM, None, label_selector=f"set={who}")
        try:
            c.get(CM, "default", f"dry-{who}")
            persisted = True
        except errors.NotFound:
            persisted = False
        return ([i["metadata"]["name"].replace(who, "x") for i in items], rev > 0,
                [i["metadata"]["name"].replace(who, "x") for i in by_name], len(everywhere),
                normal(dry)["data"], persisted)

    (lk, local), (hk, http) = both(clients, flow)
    assert lk == hk == "ok"
    assert local == http
    assert local[-1] is False


def test_status_update_generation_and_warnings(clients, served):
    def flow(c, who):
        d = c.create(deployment(f"dep-{who}", 2))
        d["status"] = {"replicas": 2, "observedGeneration": 1}
        with_status = c.update_status(d)
        d2 = c.get(DEPLOY, "default", f"dep-{who}")
        d2["spec"]["replicas"] = 3
        d2["status"] = {"replicas": 99}  # ignored on the main resource
        after = c.update(d2)
        return normal(with_status)["status"], after["metadata"]["generation"], after["status"]

    (lk, local), (hk, http) = both(clients, flow)
    assert lk == hk == "ok"
    assert local == http
    warns = clients[1]
    assert warns["local"] == warns["http"]


def test_warnings_reach_the_callback(clients):
    warns = clients[1]
    warns["local"].clear()
    warns["http"].clear()

    def flow(c, who):
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"warn-{who}"},
               "spec": {"containers": [{"name": "c", "image": "busybox", "command": ["true"]}],
                        "hostNetwork": True}}
        return normal(c.create(pod))["spec"]["hostNetwork"]

    (lk, local), (hk, http) = both(clients, flow)
    assert lk == hk == "ok"
    assert warns["local"] == warns["http"]
    assert warns["http"], "a field minikctl does not act on gives a warning"


def test_delete_propagation_bind_and_finish(clients):
    def flow(c, who):
        name = f"pod-{who}"
        c.create({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                  "spec": {"containers": [{"name": "c", "image": "busybox", "command": ["sleep", "9"]}]}})
        bound = c.bind("default", name, "node-1")
        marked = c.delete(POD, "default", name)  # bound and running: graceful
        still = c.get(POD, "default", name)
        gone = c.finish_delete(POD, "default", name, uid=still["metadata"]["uid"])
        try:
            c.get(POD, "default", name)
            exists = True
        except errors.NotFound:
            exists = False
        fg = c.create(configmap(f"fg-{who}", a="1"))
        fg_deleted = c.delete(CM, "default", f"fg-{who}", propagation="Foreground")
        return (bound["spec"]["nodeName"], bool(marked["metadata"].get("deletionTimestamp")),
                marked["metadata"].get("deletionGracePeriodSeconds"), normal(gone)["metadata"]["name"], exists,
                fg_deleted["metadata"].get("finalizers"), bool(fg["metadata"]["uid"]))

    (lk, local), (hk, http) = both(clients, flow)
    assert lk == hk == "ok"
    assert local == http


def test_watch_sees_the_same_events(clients, served):
    _, rev = served.local.list(CM, "default")

    def record(c, out, stop):
        for etype, obj in c.watch(CM, "default", rev, label_selector="watched=yes", stop=stop):
            out.append((etype, obj["metadata"]["name"], obj.get("data")))

    seen = {"local": [], "http": []}
    stop = threading.Event()
    threads = [threading.Thread(target=record, args=(c, seen[n], stop)) for n, c in clients[0].items()]
    for t in threads:
        t.start()
    time.sleep(0.3)
    w = served.local
    w.create({**configmap("w1", a="1"), "metadata": {"name": "w1", "labels": {"watched": "yes"}}})
    w.modify(CM, "default", "w1", lambda o: o["data"].update(a="2"))
    w.create({**configmap("w2"), "metadata": {"name": "w2", "labels": {"watched": "no"}}})
    w.delete(CM, "default", "w1")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and (len(seen["local"]) < 3 or len(seen["http"]) < 3):
        time.sleep(0.05)
    stop.set()
    for t in threads:
        t.join(timeout=5)
        assert not t.is_alive()
    assert seen["local"] == seen["http"] == [("ADDED", "w1", {"a": "1"}), ("MODIFIED", "w1", {"a": "2"}),
                                             ("DELETED", "w1", {"a": "2"})]


def test_watch_timeout_and_gone(clients, served):
    http = clients[0]["http"]
    started = time.monotonic()
    assert list(http.watch(CM, "default", 10**9, timeout=1)) == []
    assert time.monotonic() - started < 5
    served.local.create(configmap("gone-1"))
    for i in range(3):
        served.local.modify(CM, "default", "gone-1", lambda o, i=i: o.setdefault("data", {}).update(i=str(i)))
    served.local.store.compact(keep=1)
    for client in clients[0].values():
        with pytest.raises(errors.Gone):
            list(client.watch(CM, "default", 1, timeout=2))
