"""`events` through the real CLI (layout checked against kubectl 1.32 on the same events)."""
from __future__ import annotations

import json
import re
import time

from tests.cli.test_logs import cli, cli_background, client, finish, now_rfc3339


def record(name: str, reason: str, obj: tuple[str, str], message: str, *, age: float, type_: str = "Normal",
           count: int = 1, first_age: float | None = None, namespace: str = "default") -> dict:
    return client().create({
        "apiVersion": "v1", "kind": "Event", "metadata": {"name": name, "namespace": namespace},
        "involvedObject": {"kind": obj[0], "name": obj[1], "namespace": namespace},
        "reason": reason, "message": message, "type": type_, "count": count,
        "firstTimestamp": now_rfc3339(-(first_age if first_age is not None else age)),
        "lastTimestamp": now_rfc3339(-age), "source": {"component": "kubelet"}})


def seed() -> None:
    record("ev0", "Scheduled", ("Pod", "web-abc"), "Successfully assigned default/web-abc to node1", age=300)
    record("ev1", "BackOff", ("Pod", "web-abc"), "Back-off restarting failed container", age=5,
           type_="Warning", count=3, first_age=40)
    record("ev2", "ScalingReplicaSet", ("Deployment", "web"), "Scaled up replica set web-abc to 3", age=100)
    record("ev3", "Created", ("Pod", "db-0"), "Created container db", age=50, namespace="kube-system")


def cells(line: str) -> list[str]:
    return re.split(r"\s{2,}", line.strip())


def test_table_sorted_oldest_first():
    seed()
    r = cli("events")
    lines = r.stdout.splitlines()
    assert r.returncode == 0
    assert lines[0] == "LAST SEEN          TYPE      REASON              OBJECT           MESSAGE"
    assert [cells(line)[2:] for line in lines[1:]] == [
        ["Scheduled", "Pod/web-abc", "Successfully assigned default/web-abc to node1"],
        ["ScalingReplicaSet", "Deployment/web", "Scaled up replica set web-abc to 3"],
        ["BackOff", "Pod/web-abc", "Back-off restarting failed container"]]
    assert re.fullmatch(r"5m\d?s?", cells(lines[1])[0])
    assert re.fullmatch(r"\d+s \(x3 over \d+s\)", lines[3].split("   ")[0])


def test_all_namespaces_for_and_types():
    seed()
    everywhere = cli("events", "-A").stdout.splitlines()
    assert everywhere[0].split()[:3] == ["NAMESPACE", "LAST", "SEEN"]
    assert [line.split()[0] for line in everywhere[1:]] == ["default", "default", "kube-system", "default"]
    pod = cli("events", "--for", "pod/web-abc").stdout.splitlines()
    assert [cells(line)[-3] for line in pod[1:]] == ["Scheduled", "BackOff"]
    warnings = cli("events", "--types=warning").stdout.splitlines()
    assert [cells(line)[-3] for line in warnings[1:]] == ["BackOff"]
    assert cli("events", "--types=Normal,Warning", "--no-headers").stdout.splitlines()[0].startswith("5m")


def test_nothing_to_show_and_errors():
    assert cli("events").stderr == "No events found in default namespace.\n"
    assert cli("events", "-A").stderr == "No events found.\n"
    seed()
    assert cli("events", "--for", "pod/zzz").stderr == "No events found in default namespace.\n"
    assert cli("events", "--types=bogus").stderr == "error: valid --types are Normal or Warning\n"
    assert cli("events", "--for", "web").stderr == "error: --for must be in resource/name form\n"
    assert cli("events", "--for", "nope/x").stderr == 'error: the server doesn\'t have a resource type "nope"\n'
    assert cli("events", "-o", "wide").stderr.startswith(
        'error: unable to match a printer suitable for the output format "wide", allowed formats are: ')


def test_output_formats():
    seed()
    doc = json.loads(cli("events", "-o", "json").stdout)
    assert doc["kind"] == "EventList" and [e["metadata"]["name"] for e in doc["items"]] == ["ev0", "ev2", "ev1"]
    assert cli("events", "-o", "jsonpath={.items[*].reason}").stdout == "Scheduled ScalingReplicaSet BackOff"
    assert cli("events", "--for", "deploy/web", "-o", "name").stdout == "event/ev2\n"


def test_watch_prints_new_events():
    seed()
    proc = cli_background("events", "-w", "--for", "pod/web-abc")
    time.sleep(1.5)
    record("ev9", "Killing", ("Pod", "web-abc"), "Stopping container web", age=0)
    time.sleep(1.5)
    proc.terminate()
    _, out, _ = finish(proc)
    lines = out.splitlines()
    assert lines[0].split()[:2] == ["LAST", "SEEN"]
    assert [cells(line)[-3] for line in lines[1:]] == ["Scheduled", "BackOff", "Killing"]
