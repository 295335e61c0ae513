"""sync_pod: the level-triggered decision for one pod, as the kubelet's SyncPod.

Given the pod (from the informer) and this node's record of it, do whatever brings
them together, then write the status:
- gone from the store, or replaced by a pod of another uid: stop everything, clean up;
- being deleted: stop its containers gracefully, then finish the deletion;
- otherwise: sandbox and IP, volumes, init containers one by one, then every app
  container, restarting per restartPolicy with CrashLoopBackOff, and killing a
  container whose liveness or startup probe failed.

Slow work (grace periods, preStop hooks) runs in helper threads that enqueue the pod
when done, so a worker never waits; exits arrive through the runtime's on_exit.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from minikctl import errors
from minikctl.api import kinds
from minikctl.kubelet import backoff as backoffmod
from minikctl.kubelet import containers, dnsfiles, handlers, records, status, termination, volumes
from minikctl.kubelet import env as envmod
from minikctl.kubelet.events import Recorder
from minikctl.kubelet.ipam import Allocator
from minikctl.kubelet.probes import LABEL, Manager
from minikctl.kubelet.records import ContainerRecord, PodRecord, Run
from minikctl.machinery.workqueue import WorkQueue
from minikctl.runtime.interface import ContainerConfig, Exit, Runtime, StartError

log = logging.getLogger(__name__)

POD = kinds.by_kind("Pod")
# Waiting reasons a runtime's StartError may carry that mean "not started, try again"
# rather than "started and failed" (exit code 128, StartError).
NOT_STARTED = ("ErrImagePull", "ImagePullBackOff", "ErrImageNeverPull", "InvalidImageName",
               "CreateContainerConfigError", "CreateContainerError")
REFRESHED_VOLUMES = ("configMap", "secret", "downwardAPI", "projected")


@dataclass
class Settings:
    node_name: str
    host_ip: str = "127.0.0.1"
    min_grace: float = 2.0  # never less than this between SIGTERM and SIGKILL
    config_retry: float = 2.0  # CreateContainerConfigError: look again after this
    volume_resync: float = 60.0  # configMap/secret volumes follow their objects this often
    hard_delete_grace: float = 1.0  # a pod removed from the store without grace
    pvc_root: str = ""
    node_allocatable: dict[str, str] = field(default_factory=dict)
    allocatable: dict[str, str] = field(default_factory=dict)  # the Node's, for admission (empty: admit all)
    cluster_dns: str = dnsfiles.DNS_IP  # the nameserver in pods' resolv.conf


class Syncer:
    def __init__(self, *, client: Any, runtime: Runtime, queue: WorkQueue, settings: Settings,
                 get_pod: Callable[[str], dict | None], node_pods: Callable[[], list[dict]],
                 services: Callable[[str], list[dict]], allocator: Allocator, probes: Manager,
                 events: Recorder, images: containers.Images, crash_backoff: backoffmod.Backoff,
                 image_backoff: backoffmod.Backoff, now: Callable[[], float]) -> None:
        self.client, self.runtime, self.queue, self.settings = client, runtime, queue, settings
        self.get_pod, self.node_pods, self.services = get_pod, node_pods, services
        self.allocator, self.probes, self.events, self.images = allocator, probes, events, images
        self.crash_backoff, self.image_backoff, self.now = crash_backoff, image_backoff, now
        self.records: dict[str, PodRecord] = {}
        self._image_failures: dict[str, tuple[float, str, str]] = {}  # key -> (when, message, reason)
        self._threads: set[threading.Thread] = set()
        self._lock = threading.Lock()
        self._admission = threading.Lock()  # pods are admitted one at a time, as the kubelet does
        self.starting_allowed = True  # off once the node is shutting its pods down

    # -- entry point -----------------------------------------------------------------

    def sync(self, key: str) -> None:
        pod = self.get_pod(key)
        with self._lock:
            rec = self.records.get(key)
        if rec is not None and (pod is None or pod["metadata"].get("uid") != rec.uid):
            self._gone(rec)
            return
        if pod is None:
            return
        if rec is None:
            if (pod.get("status") or {}).get("phase") in status.TERMINAL:
                return  # finished before this kubelet started: never run it again
            with self._admission:
                if not pod["metadata"].get("deletionTimestamp") and self._rejected(pod):
                    return
                rec = self._admit(pod)
        rec.last_pod = pod
        if pod["metadata"].get("deletionTimestamp"):
            self._deleting(pod, rec)
            return
        delays: list[float] = []
        with rec.lock:
            self._reconcile(pod, rec, delays)
        self.write_status(pod, rec)
        if delays:
            self.queue.add_after(key, min(delays))

    def _rejected(self, pod: dict) -> bool:
        """Resource admission (kubelet/admission.py): reject, in the pod's status, one
        that does not fit what this node has left."""
        from minikctl.kubelet import admission

        with self._lock:
            running = {r.uid for r in self.records.values() if not r.terminal}
        admitted = [p for p in self.node_pods() if p["metadata"].get("uid") in running]
        problem = admission.reject_reason(pod, admitted, self.settings.allocatable)
        if problem is None:
            return False
        reason, message = problem
        new = {**pod, "status": {**(pod.get("status") or {}), "phase": "Failed", "reason": reason,
                                 "message": f"Pod was rejected: {message}"}}
        try:
            self.client.update_status(new)
        except errors.NotFound:
            return True
        self.events.pod(pod, "Warning", reason, message)
        return True

    def _admit(self, pod: dict) -> PodRecord:
        md = pod["metadata"]
        rec = PodRecord(uid=md["uid"], namespace=md.get("namespace", "default"), name=md["name"],
                        node=self.settings.node_name, start_time=self.now())
        with self._lock:
            self.records[rec.key] = rec
        return rec

    # -- running -----------------------------------------------------------------------

    def _reconcile(self, pod: dict, rec: PodRecord, delays: list[float]) -> None:
        if rec.terminal or not self.starting_allowed:
            return
        if not self._ensure_sandbox(pod, rec) or not self._ensure_volumes(pod, rec, delays):
            return
        if self._init_containers(pod, rec, delays):
            self._app_containers(pod, rec, delays)
        self._check_terminal(pod, rec)

    def _ensure_sandbox(self, pod: dict, rec: PodRecord) -> bool:
        if rec.sandbox is not None:
            return True
        in_use = {(p.get("status") or {}).get("podIP") for p in self.node_pods()
                  if p["metadata"].get("uid") != rec.uid and (p.get("status") or {}).get("phase") not in status.TERMINAL}
        ip = self.allocator.allocate(rec.uid, {i for i in in_use if i}, preferred=(pod.get("status") or {}).get("podIP", ""))
        try:
            sandbox = self.runtime.create_sandbox(pod, ip)
        except Exception as exc:
            self.events.pod(pod, "Warning", "FailedCreatePodSandBox", f"Failed to create pod sandbox: {exc}")
            raise
        rec.sandbox, rec.ip = sandbox, sandbox.ip or ip
        records.save(rec)
        return True

    def _ensure_volumes(self, pod: dict, rec: PodRecord, delays: list[float]) -> bool:
        refreshed = any(k in v for v in (pod["spec"].get("volumes") or []) for k in REFRESHED_VOLUMES)
        due = rec.volumes_at is None or (refreshed and self.now() - rec.volumes_at >= self.settings.volume_resync)
        if due:
            assert rec.sandbox is not None
            try:
                volumes.materialize(pod, rec.sandbox, self._sources(pod, rec), pvc_root=self.settings.pvc_root)
            except volumes.VolumeError as exc:
                rec.volume_failures += 1
                if rec.volumes_at is None:  # a refresh failure leaves running pods alone
                    if rec.volume_error != str(exc):
                        self.events.pod(pod, "Warning", "FailedMount", str(exc))
                    rec.volume_error = str(exc)
                delays.append(min(0.5 * 2 ** (rec.volume_failures - 1), 120.0))
                return rec.volumes_at is not None
            rec.volumes_at, rec.volume_error, rec.volume_failures = self.now(), "", 0
        if refreshed:
            delays.append(max(0.0, rec.volumes_at + self.settings.volume_resync - self.now()))  # type: ignore[operator]
        return True

    def _init_containers(self, pod: dict, rec: PodRecord, delays: list[float]) -> bool:
        """Run init containers one at a time, in order; True once all have succeeded."""
        policy = pod["spec"].get("restartPolicy") or "Always"
        for spec in pod["spec"].get("initContainers") or []:
            c = rec.container(spec["name"], init=True)
            if spec.get("restartPolicy") == "Always":  # a sidecar: started, then keeps running
                if c.running:
                    self._kill_if_unhealthy(pod, rec, spec, c)
                    if c.started:
                        continue
                    return False
                if not c.killing:
                    self._start(pod, rec, spec, c, delays)
                return False
            if c.terminated and c.run.exit.exit_code == 0:  # type: ignore[union-attr]
                continue
            if c.running or c.killing:
                return False
            if c.terminated and policy == "Never":
                rec.terminal = "Failed"  # an init container failed and may not be retried
                return False
            self._start(pod, rec, spec, c, delays)
            return False
        return True

    def _app_containers(self, pod: dict, rec: PodRecord, delays: list[float]) -> None:
        policy = pod["spec"].get("restartPolicy") or "Always"
        for spec in pod["spec"].get("containers") or []:
            c = rec.container(spec["name"], init=False)
            if c.killing:
                continue
            if c.running:
                self._kill_if_unhealthy(pod, rec, spec, c)
                continue
            if c.terminated and not should_restart(policy, c.run.exit.exit_code):  # type: ignore[union-attr]
                c.waiting = None
                continue
            self._start(pod, rec, spec, c, delays)

    def _check_terminal(self, pod: dict, rec: PodRecord) -> None:
        if any(c.running or c.killing for c in rec.all()):
            return
        init_statuses, statuses = status.container_statuses(pod, rec)
        phase = rec.terminal or status.phase(pod["spec"], init_statuses, statuses)
        if phase in status.TERMINAL:
            rec.terminal = phase
            self.probes.stop_pod(rec.uid)
            self.allocator.release(rec.uid)
            records.save(rec)

    # -- starting a container ----------------------------------------------------------

    def _start(self, pod: dict, rec: PodRecord, spec: dict, c: ContainerRecord, delays: list[float]) -> None:
        bkey = f"{rec.uid}/{spec['name']}"
        if c.terminated and not self._past_backoff(pod, rec, spec, c, bkey, delays):
            return
        resolved = self._resolve_image(pod, spec, c, bkey + "/image", delays)
        if resolved is None:
            return
        restart_count = c.restart_count + (1 if c.run is not None else 0)
        assert rec.sandbox is not None
        try:
            config = containers.build(pod, spec, rec.sandbox, self._sources(pod, rec), self.images, resolved,
                                      restart_count, cluster_dns=self.settings.cluster_dns)
        except envmod.ConfigError as exc:
            if c.waiting != (exc.reason, str(exc)):
                self.events.pod(pod, "Warning", "Failed", f"Error: {exc}", container=spec["name"])
            c.waiting = (exc.reason, str(exc))
            delays.append(self.settings.config_retry)
            return
        self._run(pod, rec, spec, c, config, resolved, delays)

    def _past_backoff(self, pod: dict, rec: PodRecord, spec: dict, c: ContainerRecord, bkey: str,
                      delays: list[float]) -> bool:
        """CrashLoopBackOff: False (and waiting) while the restart must wait."""
        finished = c.run.exit.finished_at  # type: ignore[union-attr]
        remaining = self.crash_backoff.remaining(bkey, finished)
        if remaining > 0:
            message = (f"back-off {backoffmod.go_duration(self.crash_backoff.get(bkey))} restarting failed "
                       f"container={spec['name']} pod={rec.name}_{rec.namespace}({rec.uid})")
            if c.waiting is None or c.waiting[0] != "CrashLoopBackOff":
                self.events.pod(pod, "Warning", "BackOff",
                                f"Back-off restarting failed container {spec['name']} in pod "
                                f"{rec.name}_{rec.namespace}({rec.uid})", container=spec["name"])
            c.waiting = ("CrashLoopBackOff", message)
            delays.append(remaining)
            return False
        self.crash_backoff.next(bkey, finished)
        return True

    def _resolve_image(self, pod: dict, spec: dict, c: ContainerRecord, key: str, delays: list[float]) -> Any:
        image = spec.get("image", "")
        failure = self._image_failures.get(key)
        if failure is not None and self.image_backoff.in_backoff_since(key, failure[0]):
            when, message, reason = failure
            permanent = reason in ("InvalidImageName", "ErrImageNeverPull")  # no back-off state for these
            c.waiting = (reason, message) if permanent else \
                ("ImagePullBackOff", f'Back-off pulling image "{image}": {reason}: {message}')
            delays.append(self.image_backoff.remaining(key, failure[0]))
            return None
        try:
            resolved = containers.resolve_image(self.images, image)
        except containers.ImageError as exc:
            now = self.now()
            self.image_backoff.next(key, now)
            never = spec.get("imagePullPolicy") == "Never" and exc.reason == containers.IMAGE_ERROR
            reason = "ErrImageNeverPull" if never else exc.reason
            message = f'Container image "{image}" is not present with pull policy of Never' if never else str(exc)
            self._image_failures[key] = (now, message, reason)
            c.waiting = (reason, message)
            self.events.pod(pod, "Warning", "Failed", f'Failed to pull image "{image}": {exc}', container=spec["name"])
            delays.append(self.image_backoff.get(key))
            return None
        if failure is not None:
            self._image_failures.pop(key, None)
            self.image_backoff.reset(key)
        if c.image != image or c.run is None:
            self.events.pod(pod, "Normal", "Pulled", f'Container image "{image}" already present on machine',
                            container=spec["name"])
        c.image, c.image_id = image, containers.image_id(resolved, image)
        return resolved

    def _run(self, pod: dict, rec: PodRecord, spec: dict, c: ContainerRecord, config: ContainerConfig,
             resolved: Any, delays: list[float]) -> None:
        assert rec.sandbox is not None
        try:
            proc = self.runtime.start(rec.sandbox, config)
        except StartError as exc:
            self._start_failed(pod, rec, spec, c, exc, delays)
            return
        run = Run(container_id=records.container_id(proc), started_at=proc.started_at, proc=proc)
        c.begin(run)
        c.started = not spec.get("startupProbe")
        c.ready = c.started and not spec.get("readinessProbe")
        rec.configs[spec["name"]] = config
        records.save(rec)
        self.runtime.on_exit(proc, lambda ex: self._on_exit(rec, c, run, ex))
        self._start_probes(pod, rec, spec, c, run)
        self.events.pod(pod, "Normal", "Created", f"Created container {spec['name']}", container=spec["name"])
        self.events.pod(pod, "Normal", "Started", f"Started container {spec['name']}", container=spec["name"])
        for warning in getattr(proc, "warnings", ()) or ():
            self.events.pod(pod, "Warning", "RuntimeWarning", warning, container=spec["name"])
        post_start = (spec.get("lifecycle") or {}).get("postStart")
        if post_start:
            self._spawn(lambda: self._post_start(pod, rec, spec, c, run, post_start), f"poststart-{spec['name']}")

    def _start_failed(self, pod: dict, rec: PodRecord, spec: dict, c: ContainerRecord, exc: StartError,
                      delays: list[float]) -> None:
        if exc.reason in NOT_STARTED:
            c.waiting = (exc.reason, exc.message)
            delays.append(self.settings.config_retry)
            return
        # Created but could not run (no such executable...): as containerd reports it,
        # a terminated container with exit code 128 and reason StartError.
        now = self.now()
        c.begin(Run(container_id="", started_at=now, exit=Exit(128, "StartError", now, exc.message)))
        c.exited.set()
        policy = pod["spec"].get("restartPolicy") or "Always"
        restartable = (c.init and spec.get("restartPolicy") == "Always") or should_restart(policy, 128)
        if restartable:
            c.waiting = ("RunContainerError", exc.message)
            delays.append(0.0)
        self.events.pod(pod, "Warning", "Failed", f"Error: {exc.message}", container=spec["name"])
        records.save(rec)

    def _on_exit(self, rec: PodRecord, c: ContainerRecord, run: Run, ex: Exit) -> None:
        """From the runtime's thread, the instant the process exits: enqueue first."""
        if run.exit is None:
            run.exit = ex
        c.exited.set()
        self.queue.add(rec.key)
        if c.run is run:
            self.probes.stop(rec.uid, c.name)
        with rec.lock:
            c.ready = c.ready and c.run is not run
            try:
                records.save(rec)
            except OSError:
                pass  # the pod directory is being removed

    # -- probes and hooks --------------------------------------------------------------

    def target(self, rec: PodRecord, spec: dict, config: ContainerConfig | None) -> handlers.Target:
        """Where probes and hooks of one container run (exec: in its environment)."""
        sandbox, runtime = rec.sandbox, self.runtime
        if config is None or sandbox is None:
            return handlers.Target(pod_ip=rec.ip, container=spec)
        return handlers.Target(pod_ip=rec.ip, container=spec,
                               run_exec=lambda argv, timeout: handlers.exec_in(runtime, sandbox, config, argv, timeout))

    def _start_probes(self, pod: dict, rec: PodRecord, spec: dict, c: ContainerRecord, run: Run) -> None:
        if not any(spec.get(k) for k in LABEL):
            return
        config = rec.configs.get(spec["name"])
        gate = self.probes.start(rec.uid, spec, self.target(rec, spec, config), started_at=run.started_at,  # type: ignore[arg-type]
                                 on_result=lambda w, ok, msg: self._on_probe(pod, rec, c, run, w, ok, msg), token=run)
        if c.started:
            gate.set()

    def _on_probe(self, pod: dict, rec: PodRecord, c: ContainerRecord, run: Run, worker: Any, ok: bool,
                  message: str) -> None:
        if c.run is not run or run.exit is not None:
            return
        spec = next((s for s in _specs(pod) if s["name"] == c.name), {})
        if worker.kind == "readinessProbe":
            c.ready = ok and c.started
        elif worker.kind == "startupProbe":
            if ok:
                c.started = True
                c.ready = not spec.get("readinessProbe")
                worker.gate.set()
            else:
                c.kill_reason = f"Container {c.name} failed startup probe, will be restarted"
        elif not ok:
            c.kill_reason = f"Container {c.name} failed liveness probe, will be restarted"
        if not ok:
            text = f"{LABEL[worker.kind]} probe failed: {message}".rstrip()
            self.events.pod(pod, "Warning", "Unhealthy", text, container=c.name)
        self.queue.add(rec.key)

    def _kill_if_unhealthy(self, pod: dict, rec: PodRecord, spec: dict, c: ContainerRecord) -> None:
        if not c.kill_reason or c.killing:
            return
        c.killing = True
        probe = spec.get("startupProbe") if "startup" in c.kill_reason else spec.get("livenessProbe")
        grace = termination.probe_grace(pod, probe)
        self.events.pod(pod, "Normal", "Killing", c.kill_reason, container=c.name)
        job = termination.Kill(c, spec, grace, self.target(rec, spec, rec.configs.get(c.name)))  # type: ignore[arg-type]
        self._spawn(lambda: self._kill_one(pod, rec, job), f"kill-{c.name}")

    def _kill_one(self, pod: dict, rec: PodRecord, job: termination.Kill) -> None:
        termination.kill(self.runtime, job, min_grace=self.settings.min_grace,
                         on_hook_failure=lambda m: self.events.pod(pod, "Warning", "FailedPreStopHook", m,
                                                                   container=job.record.name))
        job.record.killing = False
        self.queue.add(rec.key)

    def _post_start(self, pod: dict, rec: PodRecord, spec: dict, c: ContainerRecord, run: Run, hook: dict) -> None:
        result = handlers.run(hook, self.target(rec, spec, rec.configs.get(spec["name"])),  # type: ignore[arg-type]
                              termination.grace_period(pod))
        if result.ok or c.run is not run or run.exit is not None:
            return
        self.events.pod(pod, "Warning", "FailedPostStartHook", result.message, container=spec["name"])
        c.kill_reason = f"FailedPostStartHook: {result.message}"
        self.queue.add(rec.key)

    # -- stopping ----------------------------------------------------------------------

    def _deleting(self, pod: dict, rec: PodRecord) -> None:
        if not rec.torn_down:
            self.terminate(rec, termination.grace_period(pod))
            self.write_status(pod, rec)
            return
        self.write_status(pod, rec)
        self._clean_up(rec)
        try:
            self.client.finish_delete(POD, rec.namespace, rec.name, uid=rec.uid)
        except (errors.NotFound, errors.Conflict):
            pass  # already gone, or a new pod of the same name

    def _gone(self, rec: PodRecord) -> None:
        """The pod left the store (or was replaced): stop it, then forget it."""
        if not rec.torn_down:
            last = rec.last_pod or {}
            grace = termination.grace_period(last) if (last.get("metadata") or {}).get("deletionTimestamp") \
                else self.settings.hard_delete_grace
            self.terminate(rec, grace)
            return
        self._clean_up(rec)
        self.queue.add(rec.key)  # a new pod of the same name may be waiting

    def terminate(self, rec: PodRecord, grace: float, *, wait: bool = False, final: bool = True) -> None:
        """Stop every container of the pod in parallel, then mark it torn down (final),
        or leave it to be started again by a later kubelet (node shutdown)."""
        with rec.lock:
            if rec.terminating:
                return
            rec.terminating = True
        self.probes.stop_pod(rec.uid)
        pod = rec.last_pod or {}
        jobs = [termination.Kill(c, _spec_of(pod, c), grace, self.target(rec, _spec_of(pod, c), rec.configs.get(c.name)))  # type: ignore[arg-type]
                for c in rec.all() if c.running]

        def stop_all() -> None:
            threads = [threading.Thread(target=termination.kill, args=(self.runtime, j),
                                        kwargs={"min_grace": self.settings.min_grace}, daemon=True) for j in jobs]
            for c in jobs:
                self.events.pod(pod, "Normal", "Killing", f"Stopping container {c.record.name}",
                                container=c.record.name)
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            with rec.lock:
                rec.torn_down = final
                rec.terminating = final
                for c in rec.all():
                    c.ready = False
            self.queue.add(rec.key)

        if wait:
            stop_all()
        else:
            self._spawn(stop_all, f"terminate-{rec.name}")

    def _clean_up(self, rec: PodRecord) -> None:
        with self._lock:
            if self.records.get(rec.key) is rec:
                del self.records[rec.key]
        self.probes.stop_pod(rec.uid)
        self.allocator.release(rec.uid)
        self.crash_backoff.forget_prefix(rec.uid)
        self.image_backoff.forget_prefix(rec.uid)
        self.events.forget(rec.uid)
        if rec.sandbox is not None:
            try:
                self.runtime.remove_sandbox(rec.sandbox)
            except Exception:  # noqa: BLE001 - leave the directory; nothing runs there
                log.warning("could not remove the sandbox of %s", rec.key, exc_info=True)

    def _spawn(self, fn: Callable[[], None], name: str) -> None:
        def run() -> None:
            try:
                fn()
            except Exception:  # noqa: BLE001 - a helper must never die silently
                log.exception("%s failed", name)
            finally:
                with self._lock:
                    self._threads.discard(threading.current_thread())

        t = threading.Thread(target=run, name=name, daemon=True)
        with self._lock:
            self._threads.add(t)
        t.start()

    def join_helpers(self, timeout: float) -> None:
        import time as _time

        deadline = _time.monotonic() + timeout
        with self._lock:
            threads = list(self._threads)
        for t in threads:
            t.join(max(0.0, deadline - _time.monotonic()))

    # -- status ------------------------------------------------------------------------

    def write_status(self, pod: dict, rec: PodRecord) -> None:
        """Write the pod's status when it differs; on a conflict, re-read and retry."""
        current = pod
        for _ in range(5):
            with rec.lock:
                new = status.pod_status(current, rec, host_ip=self.settings.host_ip, now=self.now())
            if new == current.get("status"):
                rec.last_status = new
                return
            try:
                self.client.update_status({**current, "status": new})
                rec.last_status = new
                return
            except errors.Conflict:
                pass
            except errors.NotFound:
                return
            try:
                current = self.client.get(POD, rec.namespace, rec.name)
            except errors.NotFound:
                return
            if current["metadata"].get("uid") != rec.uid:
                return

    # -- sources -----------------------------------------------------------------------

    def _sources(self, pod: dict, rec: PodRecord) -> envmod.Sources:
        ns = pod["metadata"].get("namespace") or "default"
        services = self.services(ns) if (pod["spec"].get("enableServiceLinks") is not False) else \
            [s for s in self.services("default") if s["metadata"]["name"] == "kubernetes"]
        return envmod.Sources(
            get_configmap=lambda n, name: self._get("ConfigMap", n, name),
            get_secret=lambda n, name: self._get("Secret", n, name),
            get_pvc=lambda n, name: self._get("PersistentVolumeClaim", n, name),
            pod_ip=rec.ip, host_ip=self.settings.host_ip,
            node_allocatable=self.settings.node_allocatable, service_env=envmod.service_env(services),
        )

    def _get(self, kind: str, namespace: str, name: str) -> dict | None:
        try:
            return self.client.get(kinds.by_kind(kind), namespace, name)
        except errors.NotFound:
            return None


def should_restart(policy: str, exit_code: int) -> bool:
    if policy == "Always":
        return True
    if policy == "OnFailure":
        return exit_code != 0
    return False


def _specs(pod: dict) -> list[dict]:
    spec = pod.get("spec") or {}
    return list(spec.get("initContainers") or []) + list(spec.get("containers") or [])


def _spec_of(pod: dict, c: ContainerRecord) -> dict:
    return next((s for s in _specs(pod) if s["name"] == c.name), {"name": c.name})


__all__ = ["Settings", "Syncer", "should_restart"]
