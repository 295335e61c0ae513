"""Container runtimes, behind a CRI-shaped interface (interface.py): a pod is a sandbox
(a directory, an IP, its volumes), a container is a process group. The `process`
handler runs containers as local processes; a RuntimeClass can name another later.
"""
