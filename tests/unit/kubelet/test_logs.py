"""Per-restart log files: the current and the previous run are kept."""
from __future__ import annotations

import os

from minikctl.kubelet import logs


def test_layout_and_pruning(tmp_path):
    pod_dir = str(tmp_path)
    for n in range(4):
        path = logs.prepare(pod_dir, "web", n)
        assert path == os.path.join(pod_dir, "web", f"{n}.log")
        open(path, "w").close()
    assert sorted(os.listdir(os.path.join(pod_dir, "web"))) == ["2.log", "3.log"]
