"""ServiceAccount admission for pods and the RBAC kinds' defaulting and validation,
against a real LocalClient on a temporary SQLite store."""
from __future__ import annotations

import pytest

from minikctl import errors
from minikctl.api import kinds
from minikctl.client.local import LocalClient

POD, SA = kinds.by_kind("Pod"), kinds.by_kind("ServiceAccount")
RB, CRB = kinds.by_kind("RoleBinding"), kinds.by_kind("ClusterRoleBinding")
RBAC = "rbac.authorization.k8s.io"


def pod(name: str, namespace: str = "default", **spec) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace},
            "spec": {"containers": [{"name": "a", "image": "busybox"}], **spec}}


def sa(name: str, namespace: str = "default") -> dict:
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": namespace}}


def binding(kind: str = "RoleBinding", ref_kind: str = "Role", ref_name: str = "reader", *, subjects=None,
            name: str = "b", **ref) -> dict:
    md = {"name": name, **({"namespace": "default"} if kind == "RoleBinding" else {})}
    return {"apiVersion": f"{RBAC}/v1", "kind": kind, "metadata": md,
            "roleRef": {"apiGroup": RBAC, "kind": ref_kind, "name": ref_name, **ref},
            **({"subjects": subjects} if subjects is not None else {})}


def role(name: str, rules: list, kind: str = "Role", **extra) -> dict:
    md = {"name": name, **({"namespace": "default"} if kind == "Role" else {})}
    return {"apiVersion": f"{RBAC}/v1", "kind": kind, "metadata": md, "rules": rules, **extra}


@pytest.fixture
def client(minikctl_home):
    minikctl_home.mkdir(parents=True, exist_ok=True)
    c = LocalClient.open(path=str(minikctl_home))
    yield c
    c.close()


def names(client, ns: str) -> list[str]:
    return sorted(s["metadata"]["name"] for s in client.list(SA, ns)[0])


# --- admission ---------------------------------------------------------------------------------

def test_a_pod_without_an_account_gets_default_which_is_created_when_missing(client):
    client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "fresh"}})
    assert names(client, "fresh") == []  # no controller runs here
    p = client.create(pod("a", "fresh"))
    assert (p["spec"]["serviceAccountName"], p["spec"]["serviceAccount"]) == ("default", "default")
    assert names(client, "fresh") == ["default"]
    created = client.get(SA, "fresh", "default")
    assert created["metadata"]["uid"] and created["metadata"]["creationTimestamp"]
    client.create(pod("b", "fresh"))  # the second pod finds it
    assert names(client, "fresh") == ["default"]


def test_a_named_account_that_exists_is_accepted_and_mirrored(client):
    client.create(sa("builder"))
    p = client.create(pod("a", serviceAccountName="builder"))
    assert (p["spec"]["serviceAccountName"], p["spec"]["serviceAccount"]) == ("builder", "builder")
    # The deprecated alias alone names the account too, as the v1 conversion reads it.
    p = client.create(pod("b", serviceAccount="builder"))
    assert (p["spec"]["serviceAccountName"], p["spec"]["serviceAccount"]) == ("builder", "builder")


@pytest.mark.parametrize("spec", [{"serviceAccountName": "ghost"}, {"serviceAccount": "ghost"}])
def test_a_missing_account_is_refused_and_nothing_is_written(client, spec):
    with pytest.raises(errors.Forbidden) as err:
        client.create(pod("web", **spec))
    assert err.value.code == 403
    assert str(err.value) == ('pods "web" is forbidden: error looking up service account default/ghost: '
                              'serviceaccount "ghost" not found')
    with pytest.raises(errors.NotFound):
        client.get(POD, "default", "web")
    assert names(client, "default") == ["default"]  # the store's own; no ghost made


def test_a_dry_run_creates_no_default_account(client):
    client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "dry"}})
    p = client.create(pod("a", "dry"), dry_run=True)
    assert p["spec"]["serviceAccountName"] == "default"
    assert names(client, "dry") == []
    with pytest.raises(errors.Forbidden):
        client.create(pod("b", "dry", serviceAccountName="ghost"), dry_run=True)


def test_the_account_name_is_no_longer_an_unacted_field(client):
    warned: list[str] = []
    client.warn = warned.append
    client.create(sa("builder"))
    client.create(pod("a", serviceAccountName="builder", automountServiceAccountToken=True))
    assert warned == ["spec.automountServiceAccountToken: minikctl does not act on this field"]


# --- RBAC defaulting and validation -------------------------------------------------------------

def test_bindings_are_defaulted_as_the_api_server_does(client):
    rb = client.create(binding(subjects=[{"kind": "User", "name": "jane"}, {"kind": "Group", "name": "devs"},
                                         {"kind": "ServiceAccount", "name": "builder", "namespace": "ci"}]))
    assert [s.get("apiGroup") for s in rb["subjects"]] == [RBAC, RBAC, None]


def test_rbac_names_are_path_segments(client):
    client.create(role("system:aggregate-to-view", [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}],
                       kind="ClusterRole"))
    with pytest.raises(errors.Invalid) as err:
        client.create(role("a/b", [], kind="ClusterRole"))
    assert "metadata.name: Invalid value: \"a/b\": may not contain '/'" in str(err.value)


@pytest.mark.parametrize("obj,messages", [
    (binding(ref_kind="Deployment"), ['roleRef.kind: Unsupported value: "Deployment": supported values: "Role", '
                                      '"ClusterRole"']),
    (binding(apiGroup="apps"), ['roleRef.apiGroup: Unsupported value: "apps": supported values: '
                                '"rbac.authorization.k8s.io"']),
    (binding("ClusterRoleBinding", "Role"), ['roleRef.kind: Unsupported value: "Role": supported values: '
                                             '"ClusterRole"']),
    (binding("ClusterRoleBinding", "ClusterRole", subjects=[{"kind": "ServiceAccount", "name": "builder"}]),
     ["subjects[0].namespace: Required value"]),
    (binding(subjects=[{"kind": "Robot", "name": "r2"}, {"kind": "ServiceAccount", "name": "x", "apiGroup": RBAC}]),
     ['subjects[0].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"',
      'subjects[1].apiGroup: Unsupported value: "rbac.authorization.k8s.io": supported values: ""']),
    (role("r", [{"verbs": []}]), ["rules[0].verbs: Required value: verbs must contain at least one value",
                                  "rules[0].apiGroups: Required value: resource rules must supply at least one "
                                  "api group",
                                  "rules[0].resources: Required value: resource rules must supply at least one "
                                  "resource"]),
    (role("r", [{"verbs": ["get"], "nonResourceURLs": ["/healthz"]}]),
     ['rules[0].nonResourceURLs: Invalid value: []string{"/healthz"}: namespaced rules cannot apply to '
      "non-resource URLs"]),
    (role("c", [], kind="ClusterRole", aggregationRule={"clusterRoleSelectors": []}),
     ["aggregationRule.clusterRoleSelectors: Required value: at least one clusterRoleSelector required if "
      "aggregationRule is non-nil"]),
], ids=["roleref-kind", "roleref-group", "crb-role", "crb-sa-namespace", "subjects", "rule-empty",
        "rule-urls-namespaced", "aggregation"])
def test_rbac_validation(client, obj, messages):
    with pytest.raises(errors.Invalid) as err:
        client.create(obj)
    assert [c.render() for c in err.value.causes] == messages


def test_cluster_roles_may_name_non_resource_urls(client):
    client.create(role("health", [{"verbs": ["get"], "nonResourceURLs": ["/healthz"]}], kind="ClusterRole"))


def test_role_ref_is_immutable(client):
    client.create(binding(name="read"))
    with pytest.raises(errors.Invalid) as err:
        client.modify(RB, "default", "read", lambda o: o["roleRef"].update(name="writer"))
    assert str(err.value).endswith('roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", '
                                   'Kind:"Role", Name:"writer"}: cannot change roleRef')
    # Subjects may change.
    client.modify(RB, "default", "read", lambda o: o.update(subjects=[{"kind": "User", "name": "jane"}]))
