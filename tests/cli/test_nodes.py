"""Node flags and node verbs on bad input: one message in pflag's/kubectl's words,
exit 1, nothing started. And cordon/uncordon/drain on a store without a daemon."""
from __future__ import annotations

import json
import os

import pytest

from tests.conftest import run_cli

BAD_FLAGS = [
    (["--node-capacity", "cpu=lots"], 'error: invalid argument "cpu=lots" for "--node-capacity" flag: cpu: '
     "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"),
    (["--node-capacity", "memory=-1Gi"], 'error: invalid argument "memory=-1Gi" for "--node-capacity" flag: '
     "memory: must be a non-negative quantity, not -1Gi"),
    (["--node-capacity", "cpu=0"], 'error: invalid argument "cpu=0" for "--node-capacity" flag: '
     "cpu: a node needs more than 0 cpu to run anything"),
    (["--node-capacity", "pods=1.5"], 'error: invalid argument "pods=1.5" for "--node-capacity" flag: '
     "pods: must be a whole number, not 1.5"),
    (["--node-capacity", "gpus=1"], 'error: invalid argument "gpus=1" for "--node-capacity" flag: unknown resource '
     '"gpus": use cpu, memory, pods, ephemeral-storage, hugepages-<size> or an extended resource such as example.com/gpu'),
    (["--register-with-taints", "gpu=true:Sometimes"], 'error: invalid argument "gpu=true:Sometimes" for '
     '"--register-with-taints" flag: invalid taint effect: Sometimes, unsupported taint effect'),
    (["--register-with-taints", "gpu"], 'error: invalid argument "gpu" for "--register-with-taints" flag: '
     "invalid taint spec: gpu"),
    (["--register-with-taints", "a:NoSchedule,a:NoSchedule"], 'error: invalid argument "a:NoSchedule,a:NoSchedule" '
     'for "--register-with-taints" flag: duplicated taints with the same key and effect: a:NoSchedule'),
    (["--node-labels", "zone"], 'error: invalid argument "zone" for "--node-labels" flag: "zone" is not of the form '
     "key=value"),
    (["--pod-cidr", "10.0.0.0/8"], 'error: invalid argument "10.0.0.0/8" for "--pod-cidr" flag: pods are local '
     "processes: their range must be inside 127.0.0.0/8"),
    (["--pod-cidr", "127.96.128.0/20"], 'error: invalid argument "127.96.128.0/20" for "--pod-cidr" flag: it overlaps '
     "the Service cluster IP range 127.96.0.0/16"),
    (["--service-cluster-ip-range", "10.0.0.0/16"], 'error: invalid argument "10.0.0.0/16" for '
     '"--service-cluster-ip-range" flag: Services are reached on this machine: the range must be inside 127.0.0.0/8'),
    (["--service-cluster-ip-range", "127.0.0.0/8"], 'error: invalid argument "127.0.0.0/8" for '
     '"--service-cluster-ip-range" flag: it holds 127.0.0.1, where the API server and NodePorts listen'),
    (["--service-cluster-ip-range", "127.97.0.0/30"], 'error: invalid argument "127.97.0.0/30" for '
     '"--service-cluster-ip-range" flag: the range is too small: use a /28 or larger'),
    (["--service-cluster-ip-range", "127.16.0.0/20"], 'error: invalid argument "127.16.0.0/16" for "--pod-cidr" '
     "flag: it overlaps the Service cluster IP range 127.16.0.0/20"),
    (["--eviction-hard", "memory.free<1Gi"], 'error: invalid argument "memory.free<1Gi" for "--eviction-hard" flag: '
     "unsupported eviction signal memory.free"),
    (["--nodes", "0"], 'error: invalid argument "0" for "--nodes" flag: must be between 1 and 100'),
    (["--join"], "error: --join needs --node-name: the name of the node this agent registers"),
    (["--join", "--node-name", "w", "--nodes", "2"],
     "error: --join and --nodes cannot be used together: a joining agent is one node"),
    (["--node-monitor-grace-period", "soon"], 'error: invalid argument "soon" for "--node-monitor-grace-period" flag: '
     'time: invalid duration "soon"'),
    (["--default-unreachable-toleration-seconds", "-5"], 'error: invalid argument "-5" for '
     '"--default-unreachable-toleration-seconds" flag: must not be negative'),
]


@pytest.mark.parametrize("flags,message", BAD_FLAGS, ids=[" ".join(f) for f, _ in BAD_FLAGS])
def test_bad_node_flags_are_refused_before_anything_starts(flags, message, minikctl_home):
    out = run_cli("daemon", "start", *flags)
    assert out.returncode == 1
    assert out.stderr.splitlines()[0] == message
    assert "Traceback" not in out.stderr
    assert not os.path.exists(minikctl_home / "daemon.json")
    assert not os.path.exists(minikctl_home / "agents")


def node(name: str) -> str:
    return json.dumps({"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": {"pool": "a"}}})


def test_cordon_and_uncordon_without_a_daemon(minikctl_home):
    assert run_cli("apply", "-f", "-", stdin=node("n1")).returncode == 0
    assert run_cli("cordon", "n1", "--dry-run=client").stdout == "node/n1 cordoned (dry run)\n"
    assert run_cli("get", "node", "n1", "-o", "jsonpath={.spec.unschedulable}").stdout == ""
    assert run_cli("cordon", "-l", "pool=a").stdout == "node/n1 cordoned\n"
    assert run_cli("get", "node", "n1", "-o", "jsonpath={.spec.unschedulable}").stdout == "true"
    assert run_cli("uncordon", "node/n1").stdout == "node/n1 uncordoned\n"
    assert run_cli("uncordon", "n1").stdout == "node/n1 already uncordoned\n"


@pytest.mark.parametrize("args,message", [
    (["cordon"], "error: USAGE: cordon NODE [flags]\nSee 'minikctl cordon -h' for help and examples"),
    (["drain", "n1", "-l", "pool=a"], "error: error: cannot specify both a node name and a --selector option\n"
                                       "See 'minikctl drain -h' for help and examples"),
    (["cordon", "missing"], 'Error from server (NotFound): nodes "missing" not found'),
    (["drain", "n1", "--timeout", "1y"], 'error: invalid argument "1y" for "--timeout" flag: time: unknown unit '
                                         '"y" in duration "1y"\nSee \'minikctl drain -h\' for help and examples'),
    (["drain", "n1", "--pod-selector", "a in (b"], "error: --pod-selector=<pod_selector> must be a valid label selector"),
])
def test_node_verbs_refuse_bad_input(args, message, minikctl_home):
    assert run_cli("apply", "-f", "-", stdin=node("n1")).returncode == 0
    out = run_cli(*args)
    assert out.returncode == 1
    assert out.stderr.rstrip("\n") == message


def test_drain_of_an_empty_node_without_a_daemon(minikctl_home):
    assert run_cli("apply", "-f", "-", stdin=node("n1")).returncode == 0
    out = run_cli("drain", "n1")
    assert (out.returncode, out.stdout, out.stderr) == (0, "node/n1 cordoned\nnode/n1 drained\n", "")


def test_a_cluster_dns_address_off_loopback_is_refused(minikctl_home):
    out = run_cli("daemon", "start", "--cluster-dns", "10.0.0.10")
    assert out.returncode == 1
    assert out.stderr.startswith('error: invalid argument "10.0.0.10" for "--cluster-dns" flag: '
                                 "the cluster DNS server listens on loopback")
    assert "Traceback" not in out.stderr
