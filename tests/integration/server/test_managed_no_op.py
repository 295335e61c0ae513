"""A write that changes nothing stays a no-op even though its managedFields entry would
carry a new time (kube-apiserver's IgnoreManagedFieldsTimestampsTransformer): same
resourceVersion, same managedFields, no watch event. Driven by the real kubectl."""
from __future__ import annotations

import json

from minikctl.api import kinds, meta
from tests.integration.server.conftest import needs_kubectl

CM = kinds.by_kind("ConfigMap")
LATER = "2099-01-01T00:00:00Z"

pytestmark = needs_kubectl()


def configmap(value: str) -> str:
    return json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "noop"}, "data": {"k": value}})


def test_a_no_op_apply_or_replace_keeps_the_resource_version(served, monkeypatch, tmp_path):
    path = tmp_path / "cm.json"
    path.write_text(configmap("1"))
    served.kubectl("apply", "--server-side", "-f", str(path), check=True)
    first = served.local.get(CM, "default", "noop")
    monkeypatch.setattr(meta, "now_rfc3339", lambda: LATER)  # every timestamp from now on differs

    served.kubectl("apply", "--server-side", "-f", str(path), check=True)  # the same content again
    again = served.local.get(CM, "default", "noop")
    assert again["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]
    assert again["metadata"]["managedFields"] == first["metadata"]["managedFields"]

    live = served.kubectl("get", "cm", "noop", "-o", "json", check=True).stdout
    (tmp_path / "live.json").write_text(live)
    served.kubectl("replace", "-f", str(tmp_path / "live.json"), check=True)  # a PUT of what is there
    assert served.local.get(CM, "default", "noop")["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]

    path.write_text(configmap("2"))  # a real change records its time
    served.kubectl("apply", "--server-side", "-f", str(path), check=True)
    changed = served.local.get(CM, "default", "noop")
    assert changed["metadata"]["resourceVersion"] != first["metadata"]["resourceVersion"]
    assert [e["time"] for e in changed["metadata"]["managedFields"]] == [LATER]
