"""The api layer: one code path for every caller (CLI in-process, daemon, API server).

    parse -> validate (schemas/ + rules) -> default -> admit -> store

Modules: kinds (the registry of resource types), schemas (loading and walking the JSON
schemas), validation (schema + Kubernetes' semantic rules), defaults, meta (metadata
management and keys), selectors (label selectors), handler (the request pipeline).
"""
