"""`minikctl logs`: print a container's logs, as `kubectl logs` does, from the log files the
kubelet keeps on this machine (cli/podfiles.py; formats in cli/logstream.py).

What kubectl decides is decided here the same way: which pod a `TYPE/NAME` means
(`Found 3 pods, using pod/web-abc`), which container (`Defaulted container ...`), and
the kubelet's answers about a container that has no logs to give (`is waiting to
start`, `previous terminated container ... not found`). `-f` keeps reading: across a
restart it moves on to the new run's log, and it ends when the pod is deleted or has
finished (Succeeded/Failed). Ctrl-C ends it quietly.
"""
from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Annotated, Any, Callable, Optional

import typer

from minikctl.cli import goflags, options

USAGE = "logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]"
USAGE_ERROR = f"expected '{USAGE}'.\nPOD or TYPE/NAME is a required argument for the logs command"
SELECTOR_TAIL = 10
POD_CHECK_SECONDS = 0.5

HELP = ("Print the logs for a container in a pod or specified resource. If the pod has only one container, "
        "the container name is optional.")
EXAMPLES = """
Examples:
  # Return snapshot logs from pod nginx with only one container
  minikctl logs nginx

  # Return snapshot logs from pod nginx, prefixing each line with the source pod and container name
  minikctl logs nginx --prefix

  # Return snapshot logs from pod nginx with multi containers
  minikctl logs nginx --all-containers=true

  # Return snapshot logs from all pods in the deployment nginx
  minikctl logs deployment/nginx --all-pods=true

  # Return snapshot logs from all containers in pods defined by label app=nginx
  minikctl logs -l app=nginx --all-containers=true

  # Return snapshot of previous terminated ruby container logs from pod web-1
  minikctl logs -p -c ruby web-1

  # Begin streaming the logs of the ruby container in pod web-1
  minikctl logs -f -c ruby web-1

  # Display only the most recent 20 lines of output in pod nginx
  minikctl logs --tail=20 nginx

  # Show all logs from pod nginx written in the last hour
  minikctl logs --since=1h nginx

  # Show all logs with timestamps from pod nginx starting from August 30, 2024, at 06:00:00 UTC
  minikctl logs nginx --since-time=2024-08-30T06:00:00Z --timestamps=true

  # Return snapshot logs from first container of a job named hello
  minikctl logs job/hello
"""


@dataclass
class Request:
    """One container's log: what kubectl turns into one GET .../pods/NAME/log."""

    pod: dict
    container: str

    @property
    def prefix(self) -> bytes:
        return f"[pod/{self.pod['metadata']['name']}/{self.container}] ".encode()


@dataclass
class LogsOptions:
    args: list[str]
    namespace: str | None = None
    container: str | None = None
    follow: bool = False
    previous: bool = False
    timestamps: bool = False
    tail: int | None = None  # None: not given
    since: str | None = None
    since_time: str | None = None
    limit_bytes: int = 0
    all_containers: bool = False
    all_pods: bool = False
    selector: str | None = None
    prefix: bool = False
    max_log_requests: int = 5
    ignore_errors: bool = False
    pod_running_timeout: str = "20s"
    resource: str = ""
    stream: Any = None  # logstream.Options, built by validate()
    timeout: float = 20.0
    _failure: list = field(default_factory=list)

    # -- validate ------------------------------------------------------------------------

    def validate(self) -> None:
        from minikctl import errors
        from minikctl.cli import durations, logstream

        self._split_args()
        since_seconds = durations.parse(self.since, "--since", "logs") if self.since else 0.0
        since_epoch = _parse_rfc3339(self.since_time) if self.since_time else None
        self.timeout = durations.parse(self.pod_running_timeout, "--pod-running-timeout", "logs")
        if self.timeout <= 0:
            raise errors.UsageError("--pod-running-timeout must be higher than zero", "logs")
        if self.since_time and since_seconds:
            raise errors.MinikctlError("at most one of `sinceTime` or `sinceSeconds` may be specified")
        if self.all_containers and self.container:
            raise errors.MinikctlError(f"--all-containers=true should not be specified with container name "
                                       f"{self.container}")
        if self.limit_bytes < 0:
            raise errors.MinikctlError("--limit-bytes must be greater than 0")
        if since_seconds < 0:
            raise errors.MinikctlError("--since must be greater than 0")
        if self.tail is not None and self.tail < -1:
            raise errors.MinikctlError("--tail must be greater than or equal to -1")
        tail = self.tail if self.tail is not None else (SELECTOR_TAIL if self.selector else -1)
        if since_seconds:
            since_epoch = time.time() - round(since_seconds)
        self.stream = logstream.Options(self.timestamps, tail, since_epoch, self.limit_bytes)
        if self.all_pods:
            self.prefix = True

    def _split_args(self) -> None:
        from minikctl import errors

        if not self.args:
            if not self.selector:
                raise errors.UsageError(USAGE_ERROR, "logs")
        elif len(self.args) == 1:
            if self.selector:
                raise errors.UsageError("only a selector (-l) or a POD name is allowed", "logs")
        elif len(self.args) == 2:
            if self.container:
                raise errors.MinikctlError("only one of -c or an inline [CONTAINER] arg is allowed")
            self.container = self.args[1]
        else:
            raise errors.UsageError(USAGE_ERROR, "logs")
        self.resource = self.args[0] if self.args else ""

    # -- which containers --------------------------------------------------------------------

    def requests(self, client: Any) -> list[Request]:
        from minikctl.api import kinds
        from minikctl.cli import podselect

        ns = self.namespace or "default"
        if self.selector:
            pods, _ = client.list(kinds.by_kind("Pod"), ns, label_selector=self.selector)
            if not pods:
                print(f"No resources found in {ns} namespace.", file=sys.stderr)
            return [r for pod in pods for r in self._for_pod(pod, quiet=self.all_pods)]
        obj = self._object(client, ns)
        if obj.get("kind") == "Pod":
            return self._for_pod(obj, quiet=self.all_pods)
        if self.all_pods:
            pods = podselect.pods_of(client, obj, self.timeout, podselect.by_logging)
            return [r for pod in pods for r in self._for_pod(pod, quiet=True)]
        pod, count = podselect.first_pod(client, obj, self.timeout, podselect.by_logging)
        if count > 1:
            print(f"Found {count} pods, using pod/{pod['metadata']['name']}", file=sys.stderr)
        return self._for_pod(pod, quiet=False)

    def _object(self, client: Any, ns: str) -> dict:
        from minikctl import errors
        from minikctl.api import kinds
        from minikctl.cli import podselect

        kind_name, slash, name = self.resource.partition("/")
        kind = kinds.resolve(kind_name) if slash else kinds.by_kind("Pod")
        name = name if slash else self.resource
        obj = client.get(kind, ns if kind.namespaced else "", name)
        if kind.kind != "Pod" and kind.kind not in podselect.SELECTOR_KINDS + ("Service",):
            raise errors.MinikctlError(f"cannot get the logs from {podselect.go_type(obj)}: selector for "
                                       f"{podselect.go_type(obj)} not implemented")
        return obj

    def _for_pod(self, pod: dict, *, quiet: bool) -> list[Request]:
        from minikctl import errors
        from minikctl.cli import podselect

        spec = pod.get("spec") or {}
        if self.all_containers:
            names = [c.get("name", "") for group in ("initContainers", "containers", "ephemeralContainers")
                     for c in spec.get(group) or []]
            return [Request(pod, n) for n in names]
        container = self.container or self._default_container(pod, quiet)
        if podselect.find_container(pod, container) is None:
            raise errors.MinikctlError(f"container {container} is not valid for pod {pod['metadata']['name']} "
                                       f"out of: {podselect.all_container_names(pod)}")
        return [Request(pod, container)]

    def _default_container(self, pod: dict, quiet: bool) -> str:
        from minikctl.cli import podselect

        wanted = ((pod.get("metadata") or {}).get("annotations") or {}).get(podselect.DEFAULT_CONTAINER_ANNOTATION)
        if wanted and podselect.find_container(pod, wanted) is None:
            print(f'Default container name "{wanted}" not found in pod {pod["metadata"]["name"]}', file=sys.stderr)
        return podselect.default_container(pod, quiet=quiet)

    # -- run ----------------------------------------------------------------------------

    def run(self) -> int:
        from minikctl import errors
        from minikctl.cli import logstream, state

        client = state.client()
        reqs = self.requests(client)
        sink = logstream.Sink(sys.stdout.buffer)
        if self.follow and len(reqs) > 1:
            if len(reqs) > self.max_log_requests:
                raise errors.MinikctlError(
                    f"you are attempting to follow {len(reqs)} log streams, but maximum allowed concurrency is "
                    f"{self.max_log_requests}, use --max-log-requests to increase the limit")
            return self._parallel(client, reqs, sink)
        for req in reqs:
            monitor = PodMonitor(client, [req.pod])
            self._consume(req, sink, lambda req=req, m=monitor: m.check(req.pod, req.container))
        return 0

    def _parallel(self, client: Any, reqs: list[Request], sink: Any) -> int:
        """Follow several streams at once; this thread watches the pods for the readers."""
        monitor = PodMonitor(client, [r.pod for r in reqs])
        threads = [threading.Thread(target=self._consume_guarded, args=(r, sink, monitor), daemon=True) for r in reqs]
        for t in threads:
            t.start()
        while any(t.is_alive() for t in threads) and not self._failure:
            monitor.poll()
            time.sleep(POD_CHECK_SECONDS / 5)
        if self._failure:
            raise self._failure[0]
        return 0

    def _consume_guarded(self, req: Request, sink: Any, monitor: "PodMonitor") -> None:
        from minikctl import errors
        from minikctl.cli.errors import message_for

        try:
            self._consume(req, sink, lambda: monitor.done(req.pod, req.container))
        except BrokenPipeError as exc:  # the reader went away (`| head`): stop everything quietly
            self._failure.append(exc)
        except errors.MinikctlError as exc:
            if not self.ignore_errors:
                self._failure.append(exc)
                return
            text = message_for(exc)
            with sink.lock:
                sink.out.write((text if text.startswith("error: ") else "error: " + text).encode() + b"\n")
                sink.out.flush()

    def _consume(self, req: Request, sink: Any, finished: Callable[[], bool]) -> None:
        from minikctl.cli import logstream, podfiles

        chosen = self._log_file(req)
        if chosen is None:
            return
        number, path = chosen
        write = sink.writer(req.prefix if self.prefix else b"", self.stream)
        reader = logstream.FileReader(path)
        follow = self.follow and not self.previous
        first = reader.read_entries(live=False) if follow else reader.drain(live=False)
        if not write(logstream.select(first, self.stream)) or not follow:
            return
        while True:
            entries = reader.read_entries(live=True)
            if entries:
                if not write(entries):
                    return
                continue
            newer = [f for f in podfiles.log_files(req.pod, req.container) if f[0] > number]
            if newer:
                if not write(reader.drain(live=True)):
                    return
                number, path = newer[0]
                reader = logstream.FileReader(path)
                continue
            if finished():
                write(reader.drain(live=True))
                return
            time.sleep(logstream.POLL_SECONDS)

    # -- the kubelet's side -------------------------------------------------------------------

    def _log_file(self, req: Request) -> tuple[int, str] | None:
        """Which run's log to read, or the kubelet's error (validateContainerLogStatus)."""
        from minikctl import errors
        from minikctl.cli import podfiles, podselect

        pod, name, container = req.pod, req.pod["metadata"]["name"], req.container
        if not (pod.get("spec") or {}).get("nodeName"):
            return None  # not scheduled: the API server answers with an empty log
        cs = podselect.container_status(pod, container)
        if cs is None:
            raise errors.BadRequest(f'container "{container}" in pod "{name}" is not available')
        current, last = cs.get("state") or {}, cs.get("lastState") or {}
        files = podfiles.log_files(pod, container)
        started = "running" in current or "terminated" in current
        if self.previous:
            if not last.get("terminated"):
                raise errors.BadRequest(f'previous terminated container "{container}" in pod "{name}" not found')
            if started:
                now = _current_file(pod, container, files, int(cs.get("restartCount") or 0))
                older = [f for f in files if f[0] < now[0]]
                return older[-1] if older else None
            return files[-1] if files else None
        if started:
            return _current_file(pod, container, files, int(cs.get("restartCount") or 0))
        if last.get("terminated"):
            return files[-1] if files else None
        if "waiting" in current:
            reason = (current.get("waiting") or {}).get("reason") or ""
            reason = {"ErrImagePull": "image can't be pulled",
                      "ImagePullBackOff": "trying and failing to pull image"}.get(reason, reason)
            raise errors.BadRequest(f'container "{container}" in pod "{name}" is waiting to start: {reason}')
        raise errors.BadRequest(f'container "{container}" in pod "{name}" is waiting to start - no logs yet')


def _current_file(pod: dict, container: str, files: list[tuple[int, str]], restarts: int) -> tuple[int, str]:
    """The running (or last) run's log: `<restartCount>.log`, else the newest there is."""
    import os

    from minikctl.cli import podfiles

    for number, path in files:
        if number == restarts:
            return number, path
    if files:
        return files[-1]
    return restarts, os.path.join(podfiles.container_dir(pod, container), f"{restarts}.log")


def _parse_rfc3339(text: str) -> float:
    from minikctl import errors
    from minikctl.cli.printers.age import parse_time

    parsed = parse_time(text) if "T" in text else None
    if parsed is None:
        raise errors.MinikctlError(f'parsing time "{text}" as "2006-01-02T15:04:05Z07:00": cannot parse '
                                   f'"{text}" as "2006"')
    return parsed.timestamp()


class PodMonitor:
    """Tells a following reader when its stream is over: the pod is gone (or replaced),
    has finished (Succeeded/Failed), or is being deleted and the container's process
    has exited. Checked twice a second."""

    def __init__(self, client: Any, pods: list[dict]) -> None:
        self.client = client
        self.pods = pods
        self.latest: dict[str, dict | None] = {}
        self.checked = 0.0

    def poll(self) -> None:
        if time.monotonic() - self.checked < POD_CHECK_SECONDS:
            return
        self.checked = time.monotonic()
        for pod in self.pods:
            self.latest[pod["metadata"]["uid"]] = self._current(pod)

    def done(self, pod: dict, container: str) -> bool:
        from minikctl.cli import podfiles

        uid = pod["metadata"]["uid"]
        if uid not in self.latest:
            return False
        now = self.latest[uid]
        if now is None or (now.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
            return True
        return bool(now["metadata"].get("deletionTimestamp")) and podfiles.process(pod, container) is None

    def check(self, pod: dict, container: str) -> bool:
        self.poll()
        return self.done(pod, container)

    def _current(self, pod: dict) -> dict | None:
        from minikctl import errors
        from minikctl.api import kinds

        md = pod["metadata"]
        try:
            now = self.client.get(kinds.by_kind("Pod"), md.get("namespace", "default"), md["name"])
        except errors.NotFound:
            return None
        return now if now["metadata"].get("uid") == md.get("uid") else None


def register(app: typer.Typer) -> None:
    @app.command("logs", cls=goflags.GoFlagsCommand, help=HELP + "\n" + EXAMPLES)
    def logs(
        args: Annotated[Optional[list[str]], typer.Argument(metavar="(POD | TYPE/NAME) [CONTAINER]")] = None,
        namespace: options.Namespace = None,
        container: Annotated[Optional[str], typer.Option("--container", "-c", help="Print the logs of this container")] = None,
        follow: Annotated[bool, typer.Option("--follow", "-f", help="Specify if the logs should be streamed.")] = False,
        previous: Annotated[bool, typer.Option("--previous", "-p", help="If true, print the logs for the previous instance of the container in a pod if it exists.")] = False,
        timestamps: Annotated[bool, typer.Option("--timestamps", help="Include timestamps on each line in the log output")] = False,
        tail: Annotated[Optional[int], typer.Option("--tail", help="Lines of recent log file to display. Defaults to -1 with no selector, showing all log lines otherwise 10, if a selector is provided.")] = None,
        since: Annotated[Optional[str], typer.Option("--since", help="Only return logs newer than a relative duration like 5s, 2m, or 3h. Defaults to all logs. Only one of since-time / since may be used.")] = None,
        since_time: Annotated[Optional[str], typer.Option("--since-time", help="Only return logs after a specific date (RFC3339). Defaults to all logs. Only one of since-time / since may be used.")] = None,
        limit_bytes: Annotated[int, typer.Option("--limit-bytes", help="Maximum bytes of logs to return. Defaults to no limit.")] = 0,
        all_containers: Annotated[bool, typer.Option("--all-containers", help="Get all containers' logs in the pod(s).")] = False,
        all_pods: Annotated[bool, typer.Option("--all-pods", help="Get logs from all pod(s). Sets prefix to true.")] = False,
        selector: options.Selector = None,
        prefix: Annotated[bool, typer.Option("--prefix", help="Prefix each log line with the log source (pod name and container name)")] = False,
        max_log_requests: Annotated[int, typer.Option("--max-log-requests", help="Specify maximum number of concurrent logs to follow when using by a selector. Defaults to 5.")] = 5,
        ignore_errors: Annotated[bool, typer.Option("--ignore-errors", help="If watching / following pod logs, allow for any errors that occur to be non-fatal")] = False,
        pod_running_timeout: Annotated[str, typer.Option("--pod-running-timeout", help="The length of time (like 5s, 2m, or 3h, higher than zero) to wait until at least one pod is running")] = "20s",
        insecure_skip_tls_verify_backend: Annotated[bool, typer.Option("--insecure-skip-tls-verify-backend", help="Accepted for kubectl compatibility; minikctl reads logs locally.")] = False,
    ) -> None:
        from minikctl.cli import state

        opts = LogsOptions(list(args or []), namespace, container, follow, previous, timestamps, tail, since,
                           since_time, limit_bytes, all_containers, all_pods, selector, prefix, max_log_requests,
                           ignore_errors, pod_running_timeout)
        opts.validate()
        try:
            state.exit_code = opts.run()
        except KeyboardInterrupt:
            state.exit_code = 0
