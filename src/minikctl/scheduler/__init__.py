"""The scheduler: places pending pods on nodes, as kube-scheduler does.

    queue.py        activeQ (priority, then age), backoffQ (1 s .. 10 s), unschedulable
                    pods waiting for a cluster event (or a periodic flush)
    cache.py        nodes and the pods on them, with pods assumed at bind time
    nodeinfo.py     per-pod and per-node precomputed facts (requests, ports, terms)
    resources.py    request arithmetic (init containers, sidecars, overhead)
    framework.py    one cycle: pre-filter -> filter -> score -> select; FitError text
    plugins/        one module per plugin, in kube-scheduler's default order and weights
    preemption.py   the post-filter: evict lower-priority pods when that would help
    scheduler.py    the component: informer handlers, the scheduling loop, binds, events

A pod nothing fits stays Pending with PodScheduled=False, reason Unschedulable and
kube-scheduler's message ("0/3 nodes are available: 1 Insufficient cpu, 2 node(s)
didn't match Pod's node affinity/selector. preemption: ..."), and a FailedScheduling
event; it is retried when the cluster changes, and after a backoff otherwise.
"""
