"""`minikctl drain NODE`: cordon the node, then evict its pods, as `kubectl drain`.

Which pods, as kubectl's filters decide (pkg/drain): mirror pods are skipped;
DaemonSet-managed pods are never evicted and stop the drain unless
--ignore-daemonsets; pods using emptyDir stop it unless --delete-emptydir-data; pods
that declare no controller stop it unless --force (finished pods always go). Every
refusal is reported at once, in kubectl's words:

    error: unable to drain node "n" due to error: cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): default/ds-x, continuing command...
    There are pending nodes to be drained:
     n
    cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): default/ds-x

Pods are evicted through the eviction subresource (client.evict: pods/NAME/eviction),
so PodDisruptionBudgets are respected (--grace-period, else the pod's own, for the
graceful delete). A budget that allows no disruption now answers 429; as kubectl, drain
then says so and tries that pod again every 5 s until it goes or --timeout ends:

    evicting pod default/web-x
    error when evicting pods/"web-x" -n "default" (will retry after 5s): Cannot evict pod as it would violate the pod's disruption budget.

and on timeout fails with `error when evicting pods/"web-x" -n "default": global timeout
reached: 8s` (no pod is deleted past its budget). --disable-eviction deletes instead,
bypassing budgets. drain prints `evicting pod ns/p` for each attempt, `pod/p evicted`
once it is gone (or replaced by a pod of another uid), and `node/n drained`; --timeout
bounds the whole drain.
"""
from __future__ import annotations

import itertools
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Annotated, Any, Optional

import typer

from minikctl import errors
from minikctl.cli import options

HELP = """Drain node in preparation for maintenance.

The given node will be marked unschedulable to prevent new pods from arriving. 'drain' evicts the pods if the API server supports https://kubernetes.io/docs/concepts/workloads/pods/disruptions/ eviction. Otherwise, it will use normal DELETE to delete the pods. The 'drain' evicts or deletes all pods except mirror pods (which cannot be deleted through the API server). If there are daemon set-managed pods, drain will not proceed without --ignore-daemonsets, and regardless it will not delete any daemon set-managed pods, because those pods would be immediately replaced by the daemon set controller, which ignores unschedulable markings. If there are any pods that are neither mirror pods nor managed by a replication controller, replica set, daemon set, stateful set, or job, then drain will not delete any pods unless you use --force.

'drain' waits for graceful termination. When you are ready to put the node back into service, use minikctl uncordon, which will make the node schedulable again.
"""
EXAMPLES = """
Examples:
  # Drain node "foo", even if there are pods not managed by a replication controller, replica set, job, daemon set, or stateful set on it
  minikctl drain foo --force

  # As above, but abort if there are pods not managed by a replication controller, replica set, job, daemon set, or stateful set, and use a grace period of 15 minutes
  minikctl drain foo --grace-period=900
"""
POLL_SECONDS = 0.2  # kubectl polls every second; a local pod is gone much sooner
EVICTION_RETRY_SECONDS = 5.0  # kubectl's wait after a 429 from the eviction subresource
DAEMONSET = "cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore)"
LOCAL_STORAGE = "cannot delete Pods with local storage (use --delete-emptydir-data to override)"
UNMANAGED = "cannot delete Pods that declare no controller (use --force to override)"
WARN_DAEMONSET = "ignoring DaemonSet-managed Pods"
WARN_LOCAL_STORAGE = "deleting Pods with local storage"
WARN_UNMANAGED = "deleting Pods that declare no controller"


@dataclass
class PodList:
    """GetPodsForDeletion's answer: pods to evict, and per message the pods it names."""

    pods: list[dict] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)
    warnings: dict[str, list[str]] = field(default_factory=dict)

    def error_messages(self) -> list[str]:
        return [f"{msg}: {', '.join(names)}" for msg, names in self.errors.items()]

    def warning_text(self) -> str:
        return "; ".join(f"{msg}: {', '.join(names)}" for msg, names in self.warnings.items())


def _ref(pod: dict) -> str:
    return f"{pod['metadata'].get('namespace', '')}/{pod['metadata']['name']}"


def _controller(pod: dict) -> dict | None:
    return next((r for r in pod["metadata"].get("ownerReferences") or [] if r.get("controller")), None)


def _finished(pod: dict) -> bool:
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")


@dataclass
class DrainOptions:
    args: list[str]
    selector: str | None = None
    pod_selector: str | None = None
    force: bool = False
    ignore_daemonsets: bool = False
    delete_emptydir_data: bool = False
    grace_period: int = -1
    timeout: str = "0s"
    dry_run: str = "none"
    use_eviction: bool = True  # --disable-eviction: kubectl's delete path and wording
    skip_wait_seconds: int = 0  # --skip-wait-for-delete-timeout: pods deleted longer ago are not waited for
    timeout_seconds: float = 0.0

    def validate(self) -> None:
        from minikctl.api import selectors
        from minikctl.cli import cordoning, durations

        cordoning.NodeTargets(self.args, self.selector, "drain").validate()
        if self.pod_selector:
            try:
                selectors.parse(self.pod_selector)
            except ValueError:
                raise errors.MinikctlError("--pod-selector=<pod_selector> must be a valid label selector") from None
        self.timeout_seconds = durations.parse(self.timeout, "--timeout", "drain")
        self.dry_run = options.dry_run_mode(self.dry_run, "drain")

    def run(self) -> int:
        from minikctl.cli import cordoning, state

        client = state.client()
        nodes = cordoning.NodeTargets(self.args, self.selector, "drain").nodes(client)
        for node in nodes:
            cordoning.set_unschedulable(client, node, True, dry_run=self.dry_run)
        fatal: list[list[str]] = []
        remaining = []
        for node in nodes:
            name = node["metadata"]["name"]
            problems = self._drain_node(client, name)
            if problems:
                shown = problems[0] if len(problems) == 1 else "[" + ", ".join(problems) + "]"
                print(f'error: unable to drain node "{name}" due to error: {shown}, continuing command...',
                      file=sys.stderr)
                fatal.append(problems)
                remaining.append(name)
                continue
            print(f"node/{name} drained{options.dry_run_suffix(self.dry_run)}")
        if remaining:
            print("There are pending nodes to be drained:", file=sys.stderr)
            for name in remaining:
                print(f" {name}", file=sys.stderr)
            for problems in fatal:
                for problem in problems:
                    print(problem, file=sys.stderr)
            return 1
        return 0

    # -- one node ----------------------------------------------------------------------

    def pods_for_deletion(self, client: Any, node: str) -> PodList:
        from minikctl.api import kinds

        pods, _ = client.list(kinds.by_kind("Pod"), None, label_selector=self.pod_selector or None,
                              field_selector=f"spec.nodeName={node}")
        out = PodList()
        for pod in sorted(pods, key=_ref):
            self._filter(pod, out)
        return out

    def _filter(self, pod: dict, out: PodList) -> None:
        """kubectl's filters in their order; the first that refuses a pod decides."""
        annotations = pod["metadata"].get("annotations") or {}
        if "kubernetes.io/config.mirror" in annotations:
            return  # mirror pods cannot be deleted through the API
        if self._deleted_long_ago(pod):
            return  # skipDeletedFilter: on a dead node it would never go
        controller = _controller(pod)
        if controller is not None and controller.get("kind") == "DaemonSet" and not _finished(pod):
            target = out.warnings if self.ignore_daemonsets else out.errors
            target.setdefault(WARN_DAEMONSET if self.ignore_daemonsets else DAEMONSET, []).append(_ref(pod))
            return
        warning = ""  # as kubectl's, a pod's status is the last filter's: one warning each
        uses_empty_dir = any("emptyDir" in (v or {}) for v in (pod.get("spec") or {}).get("volumes") or [])
        if uses_empty_dir and not _finished(pod):
            if not self.delete_emptydir_data:
                out.errors.setdefault(LOCAL_STORAGE, []).append(_ref(pod))
                return
            warning = WARN_LOCAL_STORAGE
        if controller is None and not _finished(pod):
            if not self.force:
                out.errors.setdefault(UNMANAGED, []).append(_ref(pod))
                return
            warning = WARN_UNMANAGED
        if warning:
            out.warnings.setdefault(warning, []).append(_ref(pod))
        out.pods.append(pod)

    def _drain_node(self, client: Any, node: str) -> list[str]:
        found = self.pods_for_deletion(client, node)
        if found.errors:
            return found.error_messages()
        if found.warnings:
            print(f"Warning: {found.warning_text()}", file=sys.stderr)
        if self.dry_run == "client":
            for pod in found.pods:
                print(f"evicting pod {_ref(pod)} (dry run)")
            return []
        problems = self._evict(client, found.pods)
        if not problems:
            return []
        problem = problems[0] if len(problems) == 1 else "[" + ", ".join(problems) + "]"  # an Aggregate's text
        pending = self.pods_for_deletion(client, node).pods
        if pending:
            print(f'There are pending pods in node "{node}" when an error occurred: {problem}', file=sys.stderr)
            for pod in pending:
                print(f"pod/{pod['metadata']['name']}", file=sys.stderr)
        return problems

    def _evict(self, client: Any, pods: list[dict]) -> list[str]:
        """Evict every pod at once, then wait for each to go; the errors, if any."""
        from minikctl.api import kinds

        kind = kinds.by_kind("Pod")
        deadline = time.monotonic() + self.timeout_seconds if self.timeout_seconds > 0 else None
        problems: list[str] = []
        lock = threading.Lock()
        for pod in pods if self.use_eviction else []:  # the first attempts' lines, in order
            print(self._evicting(pod))
        sys.stdout.flush()

        def evict_one(pod: dict) -> None:
            md = pod["metadata"]
            try:
                if self.use_eviction:
                    problem = self._evict_until_allowed(client, pod, deadline, lock)
                    if problem:
                        with lock:
                            problems.append(problem)
                        return
                else:
                    client.delete(kind, md.get("namespace", ""), md["name"], dry_run=self.dry_run == "server",
                                  grace_period=self.grace_period if self.grace_period >= 0 else None)
            except errors.NotFound:
                return
            except errors.MinikctlError as exc:
                with lock:
                    problems.append(f'error when {"evicting" if self.use_eviction else "deleting"} '
                                    f'pods/"{md["name"]}" -n "{md.get("namespace", "")}": {exc}')
                return
            if self.dry_run == "server":
                return
            gone = self._wait_gone(client, kind, pod, deadline)
            if gone == "skipped":
                with lock:
                    print(f'pod "{md["name"]}" has DeletionTimestamp older than {self.skip_wait_seconds} seconds, '
                          "skipping")
            elif gone:
                with lock:
                    print(f"pod/{md['name']} {'evicted' if self.use_eviction else 'deleted'}")
                    sys.stdout.flush()
            else:
                with lock:
                    problems.append(f'error when waiting for pod "{md["name"]}" in namespace '
                                    f'"{md.get("namespace", "")}" to terminate: context deadline exceeded')

        threads = [threading.Thread(target=evict_one, args=(p,), daemon=True) for p in pods]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return problems

    def _evict_until_allowed(self, client: Any, pod: dict, deadline: float | None,
                             lock: threading.Lock) -> str | None:
        """kubectl's eviction loop for one pod: a 429 (a PodDisruptionBudget says no) is
        reported and retried after 5 s, until the global timeout. An error to report, or
        None once the eviction was accepted."""
        from minikctl.api import durations

        md = pod["metadata"]
        ns, name = md.get("namespace", ""), md["name"]
        for attempt in itertools.count():
            if attempt:  # kubectl says it again before every retry
                with lock:
                    print(self._evicting(pod))
                    sys.stdout.flush()
            if deadline is not None and time.monotonic() >= deadline:
                return (f'error when evicting pods/"{name}" -n "{ns}": global timeout reached: '
                        f"{durations.format(self.timeout_seconds)}")
            try:
                client.evict(ns, name, grace_period=self.grace_period if self.grace_period >= 0 else None,
                             dry_run=self.dry_run == "server")
                return None
            except errors.StatusError as exc:
                if getattr(exc, "code", None) != 429:
                    raise
                with lock:
                    print(f'error when evicting pods/"{name}" -n "{ns}" (will retry after 5s): {exc.message}',
                          file=sys.stderr)
                    sys.stderr.flush()
                time.sleep(EVICTION_RETRY_SECONDS)
        return None  # not reached: itertools.count() never ends

    def _evicting(self, pod: dict) -> str:
        return f"evicting pod {_ref(pod)}{' (server dry run)' if self.dry_run == 'server' else ''}"

    def _deleted_long_ago(self, pod: dict) -> bool:
        from minikctl.api import meta

        stamp = pod["metadata"].get("deletionTimestamp")
        if self.skip_wait_seconds <= 0 or not stamp:
            return False
        try:
            return time.time() - meta.parse_time(stamp).timestamp() > self.skip_wait_seconds
        except ValueError:
            return False

    def _wait_gone(self, client: Any, kind: Any, pod: dict, deadline: float | None) -> bool | str:
        md = pod["metadata"]
        while True:
            try:
                now = client.get(kind, md.get("namespace", ""), md["name"])
            except errors.NotFound:
                return True
            if now["metadata"].get("uid") != md.get("uid"):
                return True  # a new pod of the same name (a StatefulSet's): this one is gone
            if self._deleted_long_ago(now):
                return "skipped"  # its node will never finish it (shouldSkipPod)
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(POLL_SECONDS)


def register(app: typer.Typer) -> None:
    from minikctl.cli import goflags

    @app.command("drain", cls=goflags.GoFlagsCommand, help=HELP + EXAMPLES)
    def drain(
        args: Annotated[Optional[list[str]], typer.Argument(metavar="NODE")] = None,
        force: Annotated[bool, typer.Option("--force", help="Continue even if there are pods that do not declare a controller.")] = False,
        ignore_daemonsets: Annotated[bool, typer.Option("--ignore-daemonsets", help="Ignore DaemonSet-managed pods.")] = False,
        delete_emptydir_data: Annotated[bool, typer.Option("--delete-emptydir-data", help="Continue even if there are pods using emptyDir (local data that will be deleted when the node is drained).")] = False,
        delete_local_data: Annotated[bool, typer.Option("--delete-local-data", hidden=True, help="Deprecated: use --delete-emptydir-data.")] = False,
        grace_period: Annotated[int, typer.Option("--grace-period", help="Period of time in seconds given to each pod to terminate gracefully. If negative, the default value specified in the pod will be used.")] = -1,
        timeout: Annotated[str, typer.Option("--timeout", help="The length of time to wait before giving up, zero means infinite")] = "0s",
        selector: Annotated[Optional[str], typer.Option("--selector", "-l", help="Selector (label query) to filter on")] = None,
        pod_selector: Annotated[Optional[str], typer.Option("--pod-selector", help="Label selector to filter pods on the node")] = None,
        disable_eviction: Annotated[bool, typer.Option("--disable-eviction", help="Force drain to use delete, even if eviction is supported. This will bypass checking PodDisruptionBudgets, use with caution.")] = False,
        skip_wait_for_delete_timeout: Annotated[int, typer.Option("--skip-wait-for-delete-timeout", help="If pod DeletionTimestamp older than N seconds, skip waiting for the pod.  Seconds must be greater than 0 to skip.")] = 0,
        dry_run: options.DryRun = "none",
    ) -> None:
        from minikctl.cli import state

        if delete_local_data:
            print("Flag --delete-local-data has been deprecated, This option is deprecated and will be deleted. "
                  "Use --delete-emptydir-data.", file=sys.stderr)
        opts = DrainOptions(list(args or []), selector, pod_selector, force, ignore_daemonsets,
                            delete_emptydir_data or delete_local_data, grace_period, timeout, dry_run,
                            use_eviction=not disable_eviction, skip_wait_seconds=skip_wait_for_delete_timeout)
        opts.validate()
        state.exit_code = opts.run()
