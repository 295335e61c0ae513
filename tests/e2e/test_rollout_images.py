"""Issue 3's acceptance run: two images imported from two directories serve different
text; a Deployment moves from v1 to v2 while a reader polls every ready pod and never
sees a failed request; `rollout undo` brings v1 back."""
from __future__ import annotations

import json
import threading
import urllib.request

from tests.conftest import run_cli
from tests.e2e.conftest import wait_for
from tests.e2e.test_daemon import pods, ready

SERVER = """\
import http.server, pathlib
TEXT = pathlib.Path("version.txt").read_text()
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = TEXT.encode()
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("", 8080), H).serve_forever()
"""


def make_image(tmp_path, tag: str) -> None:
    d = tmp_path / tag
    d.mkdir()
    (d / "server.py").write_text(SERVER)
    (d / "version.txt").write_text(f"{tag}\n")
    r = run_cli("image", "import", str(d), f"hello:{tag}", "--entrypoint", "python3 server.py", "--workdir", "/")
    assert r.returncode == 0, r.stderr


def deployment(tag: str) -> str:
    return json.dumps({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "hello"},
        "spec": {
            "replicas": 3, "selector": {"matchLabels": {"app": "hello"}},
            "strategy": {"rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
            "template": {"metadata": {"labels": {"app": "hello"}}, "spec": {
                "terminationGracePeriodSeconds": 5,
                "containers": [{
                    "name": "hello", "image": f"hello:{tag}", "ports": [{"containerPort": 8080}],
                    "readinessProbe": {"httpGet": {"path": "/", "port": 8080}, "periodSeconds": 1},
                    # Stop taking new work before the process goes, as a real server drains.
                    "lifecycle": {"preStop": {"exec": {"command": ["sleep", "1"]}}},
                }]}},
        }})


class Reader(threading.Thread):
    """Polls every pod the API calls ready; counts answers per version and failures."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.seen: dict[str, int] = {}
        self.failures: list[str] = []

    def run(self) -> None:
        while not self.stop.is_set():
            for p in pods("app=hello"):
                if not ready(p):
                    continue
                try:
                    with urllib.request.urlopen(f"http://{p['status']['podIP']}:8080/", timeout=2) as r:
                        text = r.read().decode().strip()
                    self.seen[text] = self.seen.get(text, 0) + 1
                except OSError as exc:
                    # A pod deleted between the list and the request is not a ready pod.
                    still = [q for q in pods("app=hello") if q["metadata"]["uid"] == p["metadata"]["uid"]]
                    if still and ready(still[0]):
                        self.failures.append(f"{p['metadata']['name']}: {exc}")


def all_serving(tag: str) -> bool:
    current = pods("app=hello")
    if len(current) != 3 or not all(ready(p) for p in current):
        return False
    for p in current:
        with urllib.request.urlopen(f"http://{p['status']['podIP']}:8080/", timeout=2) as r:
            if r.read().decode().strip() != tag:
                return False
    return True


def test_image_rollout_and_undo_with_a_reader_that_never_fails(daemon, tmp_path):
    make_image(tmp_path, "v1")
    make_image(tmp_path, "v2")
    assert run_cli("apply", "-f", "-", stdin=deployment("v1")).returncode == 0
    wait_for(lambda: all_serving("v1"), timeout=30, what="3 pods serving v1")

    reader = Reader()
    reader.start()
    try:
        assert run_cli("apply", "-f", "-", stdin=deployment("v2")).returncode == 0
        status = run_cli("rollout", "status", "deployment/hello", "--timeout=90s", timeout=120)
        assert status.returncode == 0, status.stdout + status.stderr
        assert 'deployment "hello" successfully rolled out' in status.stdout
        wait_for(lambda: all_serving("v2"), timeout=30, what="3 pods serving v2")

        undo = run_cli("rollout", "undo", "deployment/hello")
        assert undo.stdout == "deployment.apps/hello rolled back\n", undo.stderr
        assert run_cli("rollout", "status", "deployment/hello", "--timeout=90s", timeout=120).returncode == 0
        wait_for(lambda: all_serving("v1"), timeout=30, what="3 pods serving v1 again")
    finally:
        reader.stop.set()
        reader.join(10)
    assert reader.failures == []
    assert reader.seen.get("v1", 0) > 0 and reader.seen.get("v2", 0) > 0, reader.seen
    history = run_cli("rollout", "history", "deployment/hello").stdout
    assert [line.split()[0] for line in history.splitlines()[2:] if line.strip()] == ["2", "3"]
