"""Control loops: each reads desired state from an informer cache, acts through the
client, and writes what it observed back into status.

The shape, after Kubernetes' pkg/controller and client-go's sample-controller:

- manager.ControllerManager owns one shared Informer per kind, starts them, waits for
  their caches, then runs every controller's workers until stop();
- base.Controller gives each controller a WorkQueue of "namespace/name" keys and the
  worker loop: get -> sync(key) -> forget on success, rate-limited requeue on error;
- event handlers only map an event to the key(s) of the owner(s) and enqueue them; all
  the work happens in sync(key), which is level-triggered: it recomputes everything
  from the caches, so a missed or merged event never leaves the cluster wrong;
- expectations.Expectations stop a lagging cache from causing double creates/deletes;
- ownership resolves and claims owned objects by kind AND uid (adopt/release).

Controllers: replicaset.ReplicaSetController, deployment.DeploymentController.
"""
