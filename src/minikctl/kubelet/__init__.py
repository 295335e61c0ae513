"""The node agent: runs the pods bound to one node as local processes.

Like Kubernetes' kubelet it is a control loop: an informer of this node's pods feeds a
work queue of pod keys, and `sync_pod` compares each pod's spec with what the runtime
actually runs (sandbox, init containers, app containers, probes) and acts on the
difference, then writes the pod's status back. Container exits enqueue the pod at once
(the runtime's on_exit callback), so healing never waits for a polling tick.

Modules, one job each:
    kubelet      wiring: informers, work queue, workers, start/stop, adoption
    sync         sync_pod: the level-triggered decision for one pod
    records      what this node knows about its pods' containers (and persists)
    containers   a container spec -> a runtime ContainerConfig (image, env, mounts)
    env          env/envFrom/valueFrom and $(VAR) expansion, as Kubernetes does
    volumes      emptyDir, configMap, secret, downwardAPI, projected, hostPath
    probes       startup/liveness/readiness workers (exec, httpGet, tcpSocket)
    handlers     exec/httpGet/tcpSocket actions shared by probes and lifecycle hooks
    termination  preStop, SIGTERM to the group, grace period, SIGKILL
    status       the pod status Kubernetes would report (pure functions)
    backoff      CrashLoopBackOff / ImagePullBackOff timing
    ipam         pod IPs from the node's loopback pod CIDR
    logs         per-container, per-restart log files
    events       Events the kubelet records (BackOff, Killing, Unhealthy ...)
"""
from __future__ import annotations

from minikctl.kubelet.kubelet import Kubelet

__all__ = ["Kubelet"]
