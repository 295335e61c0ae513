"""Container runtimes, behind a CRI-shaped interface (interface.py): a pod is a sandbox
(a directory, an IP, its volumes), a container is a process group. The `process`
handler runs containers as local processes; a RuntimeClass can name another later.

    interface.py   the data and the Runtime protocol the kubelet drives
    process.py     ProcessRuntime: sandboxes, start, signal, exec, adopt
    reaper.py      one thread, one pidfd per container: exits seen as they happen
    logcap.py      log files written directly by containers, kept under a size cap
    shim.py        the LD_PRELOAD bind shim (preload/bindshim.c): a pod's own IP
    launcher.py    private mount namespace, volumes at their mountPath, cgroup join
    limits.py      resources.limits via cgroup v2, v1 or rlimit
    records.py     sandbox.json, config.json, state.json: what exec, logs and a
                   restarted daemon read
    procfs.py      /proc: start ticks (a pid's identity) and liveness
    images.py      the local image store and host base images
"""
