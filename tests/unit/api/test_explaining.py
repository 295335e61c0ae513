"""`kubectl explain` output, byte for byte as kubectl 1.32 prints it from OpenAPI v3."""
from __future__ import annotations

import pytest

from minikctl import errors
from minikctl.api import explaining
from minikctl.api.explaining import explain

DEPLOYMENT = """\
GROUP:      apps
KIND:       Deployment
VERSION:    v1

DESCRIPTION:
    Deployment enables declarative updates for Pods and ReplicaSets.
    \n\
FIELDS:
  apiVersion\t<string>
    APIVersion defines the versioned schema of this representation of an object.
    Servers should convert recognized schemas to the latest internal value, and
    may reject unrecognized values. More info:
    https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources

  kind\t<string>
    Kind is a string value representing the REST resource this object
    represents. Servers may infer this from the endpoint the client submits
    requests to. Cannot be updated. In CamelCase. More info:
    https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds

  metadata\t<ObjectMeta>
    Standard object's metadata. More info:
    https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata

  spec\t<DeploymentSpec>
    Specification of the desired behavior of the Deployment.

  status\t<DeploymentStatus>
    Most recently observed status of the Deployment.


"""

STRATEGY = """\
GROUP:      apps
KIND:       Deployment
VERSION:    v1

FIELD: strategy <DeploymentStrategy>


DESCRIPTION:
    The deployment strategy to use to replace existing pods with new ones.
    DeploymentStrategy describes how to replace existing pods with new ones.
    \n\
FIELDS:
  rollingUpdate\t<RollingUpdateDeployment>
    Rolling update config params. Present only if DeploymentStrategyType =
    RollingUpdate.

  type\t<string>
    Type of deployment. Can be "Recreate" or "RollingUpdate". Default is
    RollingUpdate.


"""

STRATEGY_RECURSIVE = """\
GROUP:      apps
KIND:       Deployment
VERSION:    v1

FIELD: strategy <DeploymentStrategy>


DESCRIPTION:
    The deployment strategy to use to replace existing pods with new ones.
    DeploymentStrategy describes how to replace existing pods with new ones.
    \n\
FIELDS:
  rollingUpdate\t<RollingUpdateDeployment>
    maxSurge\t<IntOrString>
    maxUnavailable\t<IntOrString>
  type\t<string>

"""

REPLICAS = """\
GROUP:      apps
KIND:       Deployment
VERSION:    v1

FIELD: replicas <integer>


DESCRIPTION:
    Number of desired pods. This is a pointer to distinguish between explicit
    zero and not specified. Defaults to 1.
    \n\

"""


@pytest.mark.parametrize(("path", "recursive", "expected"), [
    pytest.param("deployment", False, DEPLOYMENT, id="resource"),
    pytest.param("deploy.spec.strategy", False, STRATEGY, id="field-with-its-type-description"),
    pytest.param("deployments.apps.spec.strategy", True, STRATEGY_RECURSIVE, id="recursive"),
    pytest.param("deployments.v1.apps.spec.replicas", False, REPLICAS, id="scalar-field"),
])
def test_exact_output(path, recursive, expected):
    assert explain(path, recursive=recursive) == expected


def test_core_kinds_have_no_group_line_and_list_items_are_walked():
    out = explain("pods.spec.containers")
    assert out.startswith(
        "KIND:       Pod\nVERSION:    v1\n\nFIELD: containers <[]Container>\n\n\nDESCRIPTION:\n"
        "    List of containers belonging to the pod. Containers cannot currently be\n"
        "    added or removed. There must be at least one container in a Pod. Cannot be\n"
        "    updated.\n"
        "    A single application container that you want to run within a pod.\n    \nFIELDS:\n")
    # Wrapped at 76 columns: a 76-character line stays whole, a long URL overflows alone.
    assert ("  image\t<string>\n"
            "    Container image name. More info:\n"
            "    https://kubernetes.io/docs/concepts/containers/images This field is optional\n"
            "    to allow higher level config management to default or override container\n"
            "    images in workload controllers like Deployments and StatefulSets.\n\n") in out
    assert "  name\t<string> -required-\n" in out
    assert "  ports\t<[]ContainerPort>\n" in out
    assert "  resources\t<ResourceRequirements>\n" in out


@pytest.mark.parametrize(("path", "line"), [
    ("pod.metadata", "  labels\t<map[string]string>\n"),
    ("pod.metadata", "  creationTimestamp\t<string>\n"),  # Time is a string, not <Time>
    ("pod.spec.containers.resources", "  limits\t<map[string]Quantity>\n"),
    ("po.spec.containers.livenessProbe.httpGet", "  port\t<IntOrString> -required-\n"),
    ("po.spec", "  containers\t<[]Container> -required-\n"),
    ("po.spec", "  activeDeadlineSeconds\t<integer>\n"),
    ("po.spec", "  hostNetwork\t<boolean>\n"),
    ("svc.spec", "  selector\t<map[string]string>\n"),
    ("deploy.spec.template.spec.volumes.emptyDir", "  sizeLimit\t<Quantity>\n"),
])
def test_type_names(path, line):
    assert line in explain(path)


def test_field_of_a_referenced_primitive_shows_both_descriptions():
    out = explain("pod.metadata.creationTimestamp")
    assert "FIELD: creationTimestamp <string>\n" in out
    assert "    Time is a wrapper around time.Time which supports correct marshaling to YAML\n" in out


def test_recursive_indents_two_spaces_per_level():
    out = explain("deployment", recursive=True)
    assert ("  spec\t<DeploymentSpec>\n"
            "    minReadySeconds\t<integer>\n") in out
    assert ("      matchExpressions\t<[]LabelSelectorRequirement>\n"
            "        key\t<string> -required-\n") in out
    assert "        containers\t<[]Container> -required-\n" in out  # spec.template.spec: level 4
    assert out.endswith("\n\n") and not out.endswith("\n\n\n")


def test_unknown_field_is_kubectls_error():
    with pytest.raises(errors.MinikctlError, match='^field "foo" does not exist$'):
        explain("deployment.spec.foo")
    # kubectl names the last element of the path, wherever the walk stopped.
    with pytest.raises(errors.MinikctlError, match='^field "bar" does not exist$'):
        explain("deployment.spec.replicas.bar")


def test_unknown_resource():
    with pytest.raises(errors.UnknownResourceType, match='resource type "deploymnt"'):
        explain("deploymnt.spec")


def test_api_version():
    assert explain("deploy", api_version="apps/v1") == DEPLOYMENT
    with pytest.raises(errors.MinikctlError, match=r'couldn\'t find resource for "apps/v2, Resource=deployments"'):
        explain("deploy", api_version="apps/v2")
    with pytest.raises(errors.MinikctlError, match=r"GVR \(/v1, Resource=deployments\) not found"):
        explain("deploy", api_version="v1")


FAKE = {
    "description": "A fake kind.",
    "properties": {
        "apiVersion": {"type": ["string", "null"], "enum": ["v1"], "description": "Version."},
        "mode": {"type": ["string", "null"], "enum": ["", "A", "B", "C", "D", "E"], "description": "The mode."},
        "policy": {"$ref": "#/$defs/x.Policy", "description": "The policy."},
    },
    "required": ["mode"],
    "$defs": {"x.Policy": {"type": ["object", "null"], "description": "Policy says how.",
                           "properties": {"pull": {"type": ["string", "null"], "enum": ["Always", "Never"]}}}},
}


@pytest.fixture
def fake_kind(monkeypatch):
    monkeypatch.setattr(explaining.schemas, "load", lambda kind: FAKE)


def test_enums_in_field_lists_and_after_field(fake_kind):
    out = explain("runtimeclass")
    # The generator's one-value enum on apiVersion is not OpenAPI's and is not shown.
    assert "  apiVersion\t<string>\n    Version.\n\n" in out
    assert ('  mode\t<string> -required-\n  enum: "", A, B, C, ....\n    The mode.\n\n') in out
    assert "  policy\t<Policy>\n    The policy.\n\n" in out
    assert explain("runtimeclass.policy.pull") == (
        "GROUP:      node.k8s.io\nKIND:       RuntimeClass\nVERSION:    v1\n\n"
        "FIELD: pull <string>\nENUM:\n    Always\n    Never\n\n"
        "DESCRIPTION:\n    <empty>\n\n")
    assert "    pull\t<string>\n    enum: Always, Never\n" in explain("runtimeclass", recursive=True)


@pytest.mark.parametrize(("text", "limit", "expected"), [
    ("foo bar baz", 4, "foo\nbar\nbaz"),
    ("foo\nb ar\nbaz", 4, "foo\nb ar\nbaz"),
    ("foo       \nb ar\nbaz", 4, "foo\nb ar\nbaz"),
    ("a long-word-here b", 6, "a\nlong-word-here\nb"),
    ("foobarbaz", 4, "foobarbaz"),
    ("a\u00a0b c", 3, "a\u00a0b\nc"),
])
def test_wrap_matches_go_wordwrap(text, limit, expected):
    assert explaining._wrap(limit, text) == expected
