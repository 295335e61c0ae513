"""The Kubernetes REST API, served by the daemon over the api layer (issue 7).

    server.py      ApiServer: HTTPS (stdlib http.server + ssl), keep-alive, one thread
                   per connection; reads, authenticates and dispatches each request
    tls.py         the CA and server certificate under $MINIKCTL_HOME/pki/
    auth.py        the bearer token ($MINIKCTL_HOME/token) and its check
    exchange.py    one request/response as handlers see it (JSON, Status, chunked streams)
    dispatch.py    path -> handler
    routes.py      resource paths -> (kind, namespace, name, subresource)
    version.py     /version (minor "32": the kubectl dispatcher picks its binary by it), health
    discovery.py   /api, /apis, per-group documents and aggregated discovery
    openapi.py     /openapi/v3 from schemas/
    resources.py   collections and objects: list, create, get, replace, delete, status
    watch.py       ?watch=true streams
    cacher.py      the watch cache: one shared store watch per resource, events encoded once
    patch.py       JSON, merge and strategic merge patches
    apply.py       server-side apply (apply-patch+yaml): managedFields and conflicts
    managed.py     field managers and FieldsV1
    scale.py       the autoscaling/v1 scale subresource
    logs.py        pods/log from the kubelet's log files
    websocket.py   RFC 6455 frames, for the upgraded subresources below
    podexec.py     pods/exec over WebSocket (v5.channel.k8s.io): kubectl exec
    podattach.py   pods/attach over WebSocket: kubectl attach (output from now on)
    spdy.py        SPDY/3.1 frames, as kubectl port-forward tunnels them in a WebSocket
    portforward.py pods/portforward: streams spliced to podIP:port
    reviews.py     SelfSubjectReview, SelfSubject(Access|Rules)Review: kubectl auth whoami, can-i
    metrics.py     metrics.k8s.io/v1beta1 pods and nodes: kubectl top
    table.py       Table and PartialObjectMetadata responses
    fields.py      unknown fields and fieldValidation
    decoding.py    request bodies and media types
    protobuf.py    protobuf bodies of kubectl's typed `create` commands (others: 415)
    status.py      Status objects for every error

Every handler goes through the api layer (minikctl.api.handler.Api), never the store.
"""
from __future__ import annotations

from minikctl.server.server import ApiServer

__all__ = ["ApiServer"]
