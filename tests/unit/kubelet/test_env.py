"""$(VAR) expansion and env building, table-tested against Kubernetes' semantics."""
from __future__ import annotations

import base64

import pytest

from minikctl.kubelet import env

CTX = {"VAR_A": "A", "VAR_B": "B", "VAR_C": "C", "VAR_REF": "$(VAR_A)", "VAR_EMPTY": ""}


@pytest.mark.parametrize("text,expected", [
    ("$(VAR_A)", "A"),
    ("___$(VAR_B)___", "___B___"),
    ("$(VAR_A)-$(VAR_A)", "A-A"),
    ("$(VAR_A)$(VAR_B)$(VAR_C)", "ABC"),
    ("$(VAR_REF)", "$(VAR_A)"),  # values are not expanded again
    ("$(VAR_EMPTY)", ""),
    ("$(UNKNOWN)", "$(UNKNOWN)"),  # undefined stays literal
    ("$$(VAR_A)", "$(VAR_A)"),  # escaped
    ("$$$(VAR_A)", "$A"),
    ("$$$$(VAR_A)", "$$(VAR_A)"),
    ("$$", "$"),
    ("$$$$", "$$"),
    ("$", "$"),
    ("foo$", "foo$"),
    ("$VAR_A", "$VAR_A"),  # no parentheses: not a reference
    ("$(VAR_A", "$(VAR_A"),  # unclosed
    ("$(VAR_A)$(", "A$("),
    ("$()", "$()"),  # the empty name is not defined either
    ("f000-$$VAR_A", "f000-$VAR_A"),
    ("$(VAR_A)foo$(VAR_B)", "AfooB"),
    ("($(VAR_A))", "(A)"),
])
def test_expansion(text, expected):
    assert env.expand(text, env.mapping_for(CTX)) == expected


def pod(**spec):
    return {"metadata": {"name": "web", "namespace": "prod", "uid": "u-1", "labels": {"app": "web"},
                         "annotations": {"team": "core"}},
            "spec": {"nodeName": "n1", "serviceAccountName": "sa", **spec}}


def sources(cms=None, secrets=None, **kw):
    cms, secrets = cms or {}, secrets or {}
    return env.Sources(get_configmap=lambda ns, n: cms.get(n), get_secret=lambda ns, n: secrets.get(n),
                       pod_ip="127.16.0.5", host_ip="127.0.0.1", **kw)


def b64(s: str) -> str:
    return base64.b64encode(s.encode()).decode()


def test_env_in_order_each_value_sees_earlier_ones():
    c = {"name": "c", "env": [
        {"name": "A", "value": "a"},
        {"name": "B", "value": "$(A)-b"},
        {"name": "C", "value": "$(D)-c"},  # D comes later: stays literal
        {"name": "D", "value": "d"},
        {"name": "E", "value": "$$(A)"},
    ]}
    assert env.build(pod(), c, sources()) == {"A": "a", "B": "a-b", "C": "$(D)-c", "D": "d", "E": "$(A)"}


def test_env_from_with_prefix_and_override():
    cms = {"cfg": {"data": {"HOST": "db", "PORT": "5432", "bad key": "x"}}}
    secrets = {"s": {"data": {"PASSWORD": b64("hunter2")}}}
    c = {"name": "c", "envFrom": [{"configMapRef": {"name": "cfg"}, "prefix": "DB_"}, {"secretRef": {"name": "s"}}],
         "env": [{"name": "DB_PORT", "value": "6543"}, {"name": "URL", "value": "$(DB_HOST):$(DB_PORT)"}]}
    got = env.build(pod(), c, sources(cms, secrets))
    assert got == {"DB_HOST": "db", "DB_PORT": "6543", "PASSWORD": "hunter2", "URL": "db:6543"}


def test_missing_configmap_is_a_config_error_unless_optional():
    c = {"name": "c", "envFrom": [{"configMapRef": {"name": "nope"}}]}
    with pytest.raises(env.ConfigError) as err:
        env.build(pod(), c, sources())
    assert str(err.value) == 'configmap "nope" not found'
    assert err.value.reason == "CreateContainerConfigError"
    c = {"name": "c", "envFrom": [{"configMapRef": {"name": "nope", "optional": True}}]}
    assert env.build(pod(), c, sources()) == {}


def test_missing_key_messages():
    cms = {"cfg": {"data": {}}}
    secrets = {"s": {"data": {}}}
    c = {"name": "c", "env": [{"name": "X", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "k"}}}]}
    with pytest.raises(env.ConfigError, match=r"^couldn't find key k in ConfigMap prod/cfg$"):
        env.build(pod(), c, sources(cms, secrets))
    c = {"name": "c", "env": [{"name": "X", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}]}
    with pytest.raises(env.ConfigError, match=r"^couldn't find key k in Secret prod/s$"):
        env.build(pod(), c, sources(cms, secrets))
    c = {"name": "c", "env": [{"name": "X", "valueFrom": {"secretKeyRef": {"name": "gone", "key": "k"}}}]}
    with pytest.raises(env.ConfigError, match=r'^secret "gone" not found$'):
        env.build(pod(), c, sources(cms, secrets))
    c = {"name": "c", "env": [{"name": "X", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k", "optional": True}}}]}
    assert env.build(pod(), c, sources(cms, secrets)) == {}  # optional and missing: not set at all


def test_value_from_is_not_expanded():
    cms = {"cfg": {"data": {"k": "$(A)"}}}
    c = {"name": "c", "env": [{"name": "A", "value": "a"},
                              {"name": "B", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "k"}}}]}
    assert env.build(pod(), c, sources(cms)) == {"A": "a", "B": "$(A)"}


@pytest.mark.parametrize("path,expected", [
    ("metadata.name", "web"), ("metadata.namespace", "prod"), ("metadata.uid", "u-1"),
    ("metadata.labels['app']", "web"), ("metadata.annotations['team']", "core"),
    ("metadata.labels['missing']", ""), ("spec.nodeName", "n1"), ("spec.serviceAccountName", "sa"),
    ("status.podIP", "127.16.0.5"), ("status.hostIP", "127.0.0.1"),
])
def test_field_refs(path, expected):
    c = {"name": "c", "env": [{"name": "X", "valueFrom": {"fieldRef": {"fieldPath": path}}}]}
    assert env.build(pod(), c, sources()) == {"X": expected}


def test_unsupported_field_ref():
    with pytest.raises(env.ConfigError, match="unsupported fieldPath: spec.bogus"):
        env.field_value(pod(), "spec.bogus", sources())


def test_resource_field_refs():
    c = {"name": "c", "resources": {"limits": {"cpu": "500m", "memory": "128Mi"}, "requests": {"memory": "64Mi"}}}
    p = pod(containers=[c])
    assert env.resource_value(p, c, {"resource": "limits.cpu"}, {}) == "1"  # rounded up to whole cores
    assert env.resource_value(p, c, {"resource": "limits.cpu", "divisor": "1m"}, {}) == "500"
    assert env.resource_value(p, c, {"resource": "limits.memory"}, {}) == str(128 * 1024 * 1024)
    assert env.resource_value(p, c, {"resource": "requests.memory", "divisor": "1Mi"}, {}) == "64"
    bare = {"name": "d"}
    assert env.resource_value(pod(containers=[bare]), bare, {"resource": "limits.memory"}, {"memory": "1000"}) == "1000"


def test_command_and_args_expansion_uses_container_env():
    e = {"GREETING": "hello", "WHO": "world"}
    assert env.expand_argv(["echo", "$(GREETING) $(WHO)", "$$(WHO)", "$(NOPE)"], e) == \
        ["echo", "hello world", "$(WHO)", "$(NOPE)"]


def test_service_links_env():
    svc = {"metadata": {"name": "web-api"}, "spec": {"clusterIP": "10.0.0.5", "ports": [
        {"name": "http", "port": 80, "protocol": "TCP"}]}}
    got = env.service_env([svc, {"metadata": {"name": "headless"}, "spec": {"clusterIP": "None", "ports": [{"port": 1}]}}])
    assert got["WEB_API_SERVICE_HOST"] == "10.0.0.5"
    assert got["WEB_API_SERVICE_PORT"] == "80"
    assert got["WEB_API_SERVICE_PORT_HTTP"] == "80"
    assert got["WEB_API_PORT"] == "tcp://10.0.0.5:80"
    assert got["WEB_API_PORT_80_TCP_ADDR"] == "10.0.0.5"
    assert not any(k.startswith("HEADLESS") for k in got)


def test_service_env_does_not_override_and_is_visible_to_expansion():
    c = {"name": "c", "env": [{"name": "URL", "value": "http://$(DB_SERVICE_HOST)"},
                              {"name": "DB_SERVICE_HOST", "value": "mine"}]}
    got = env.build(pod(), c, sources(service_env={"DB_SERVICE_HOST": "10.0.0.9", "DB_SERVICE_PORT": "5432"}))
    assert got == {"URL": "http://10.0.0.9", "DB_SERVICE_HOST": "mine", "DB_SERVICE_PORT": "5432"}
