"""`minikctl daemon`: the control plane and a node agent in one process.

- node: registers this machine as a Node and keeps its Lease (heartbeat) fresh
- runner: wiring — client, controllers, kubelet, node heartbeats; runs until signalled
- process: start/stop/status of a background daemon (pid file, log file)
"""
