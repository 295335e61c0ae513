"""`minikctl down`: stop every pod gracefully, and the daemon and any joined node agents.

With a daemon running, it asks the daemon (its kubelet runs each pod's preStop hook
and grace period). Without one, it stops the recorded processes itself: SIGTERM to
each container's process group, then SIGKILL after the grace period. Desired state is
kept: the next `daemon start` runs the pods again.
"""
from __future__ import annotations

from typing import Annotated

import typer

GRACE = 30.0


def stop_recorded_pods(home: str, grace: float) -> int:
    """Stop every live container process recorded under pods/ (no daemon running)."""
    import os
    import signal
    import time

    from minikctl.runtime import procfs, records

    live = []
    for sandbox in records.list_sandboxes(os.path.join(home, "pods")):
        for entry in os.scandir(sandbox.directory):
            loaded = records.load_state(entry.path) if entry.is_dir() else None
            if loaded and procfs.is_running(loaded[0].pid, loaded[0].start_ticks):
                live.append(loaded[0])
    for proc in live:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(procfs.is_running(p.pid, p.start_ticks) for p in live):
        time.sleep(0.05)
    for proc in live:
        if procfs.is_running(proc.pid, proc.start_ticks):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    return len(live)


def register(app: typer.Typer) -> None:
    @app.command("down", help="Stop every pod gracefully and stop the daemon. Desired state is kept.")
    def down(
        grace_period: Annotated[float, typer.Option("--grace-period", help="Seconds each container gets after SIGTERM when no daemon runs.")] = GRACE,
    ) -> None:
        from minikctl import home
        from minikctl.daemon import process

        # Joined node agents first: their pods stop with them, as the daemon's do.
        for state_file in process.agent_state_files(home.home()):
            agent = process.stop(home.home(), all_pods=True, state_file=state_file)
            if agent is not None:
                typer.echo(f"minikctl node agent {agent.get('node', state_file)} stopped with its pods (pid {agent['pid']})")
        info = process.stop(home.home(), all_pods=True)
        if info is not None:
            typer.echo(f"every pod stopped; minikctl daemon stopped (pid {info['pid']})")
            return
        count = stop_recorded_pods(home.home(), grace_period)
        typer.echo(f"minikctl daemon is not running; stopped {count} container process(es)")
