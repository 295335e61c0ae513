"""Adoption: on start, take over the containers a previous daemon left running.

Each pod directory holds the kubelet's record (records.STATE_FILE): which process runs
which container, restart counts, last states. A recorded process still alive with the
same start ticks is adopted (its exit watched, its probes restarted, its readiness as
the pod's status last said, so endpoints do not flap); one that died while no daemon
watched is reported exited (the runtime says how much it knows). Nothing is started
twice: the workers only run after adoption, and then see these containers running.
"""
from __future__ import annotations

import logging
import os

from minikctl.kubelet import records
from minikctl.kubelet.records import ContainerRecord, PodRecord
from minikctl.kubelet.sync import Syncer
from minikctl.runtime.interface import ContainerConfig, Runtime

log = logging.getLogger(__name__)


def adopt(syncer: Syncer, runtime: Runtime, pods_dir: str, node_pods: list[dict], *,
          all_pods: list[dict] | None = None, adopt_unmarked: bool = True) -> list[PodRecord]:
    """Adopt the pods this node's kubelet left running. Several nodes' kubelets share one
    pods/ directory (a pod's directory name carries its uid, so they never collide):
    each record names its node, and a kubelet takes only its own."""
    by_uid = {p["metadata"].get("uid"): p for p in node_pods}
    elsewhere = {p["metadata"].get("uid") for p in all_pods or [] if p["metadata"].get("uid") not in by_uid
                 and (p.get("spec") or {}).get("nodeName")}
    adopted = []
    try:
        entries = sorted(os.scandir(pods_dir), key=lambda e: e.name)
    except FileNotFoundError:
        return adopted
    for entry in entries:
        rec = records.load(entry.path) if entry.is_dir() else None
        if rec is None or not _ours(rec, syncer.settings.node_name, by_uid, elsewhere, adopt_unmarked):
            continue
        rec.node = syncer.settings.node_name
        _adopt_pod(syncer, runtime, rec, by_uid.get(rec.uid))
        adopted.append(rec)
    return adopted


def _ours(rec: PodRecord, node: str, mine: dict, elsewhere: set, adopt_unmarked: bool) -> bool:
    if rec.node:
        return rec.node == node
    # A record from before records named their node: ours if its pod is bound here; a
    # pod gone from the store is cleaned up by one kubelet only (the daemon's first).
    return rec.uid in mine or (adopt_unmarked and rec.uid not in elsewhere)


def _adopt_pod(syncer: Syncer, runtime: Runtime, rec: PodRecord, pod: dict | None) -> None:
    assert rec.sandbox is not None
    alive = runtime.adopt(rec.sandbox.directory) if hasattr(runtime, "adopt") else {}
    statuses = _statuses(pod)
    rec.last_pod = pod
    for c in rec.all():
        run = c.run
        if run is None or run.proc is None or run.exit is not None:
            continue
        config = _config(rec, c)
        if config is not None:
            rec.configs[c.name] = config
        if c.name in alive and alive[c.name] == run.proc:
            seen = statuses.get(c.name) or {}
            c.started = c.started or bool(seen.get("started"))
            c.ready = bool(seen.get("ready"))
        runtime.on_exit(run.proc, lambda ex, c=c, run=run: syncer._on_exit(rec, c, run, ex))
        spec = _spec(pod, c)
        if pod is not None and spec is not None and c.name in alive:
            syncer._start_probes(pod, rec, spec, c, run)
    if rec.ip and not rec.terminal:
        syncer.allocator.hold(rec.uid, rec.ip)
    current = syncer.records.get(rec.key)
    if current is None or pod is not None:
        syncer.records[rec.key] = rec
        if current is not None:
            rec, current = current, rec
    if current is not None and current is not rec:
        # Two pods of one name (an old uid and the current one): the old one goes.
        syncer.terminate(rec, syncer.settings.hard_delete_grace)
    log.info("adopted pod %s: %d running container(s)", rec.key, len(alive))


def _statuses(pod: dict | None) -> dict[str, dict]:
    status = (pod or {}).get("status") or {}
    return {cs["name"]: cs for cs in (status.get("containerStatuses") or []) + (status.get("initContainerStatuses") or [])}


def _spec(pod: dict | None, c: ContainerRecord) -> dict | None:
    spec = (pod or {}).get("spec") or {}
    table = spec.get("initContainers") if c.init else spec.get("containers")
    return next((s for s in table or [] if s["name"] == c.name), None)


def _config(rec: PodRecord, c: ContainerRecord) -> ContainerConfig | None:
    """The config the container was started with, as the runtime recorded it (exec
    probes and preStop hooks run in its environment)."""
    try:
        from minikctl.runtime import records as runtime_records
    except ImportError:
        return None
    assert rec.sandbox is not None
    return runtime_records.load_config(os.path.join(rec.sandbox.directory, c.name))
