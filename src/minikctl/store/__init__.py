"""The store: desired state plus a revision-ordered change log, etcd-style (kine in miniature).

- schema: the tables (objects = current value per key, changes = the log, revision = counter)
- engine: opening a SQLAlchemy engine (SQLite defaults: WAL, busy timeout, immediate writes)
- store:  create/get/list/update/delete with optimistic concurrency, changes_since, compact
- notify: cross-process wake-ups so watchers learn of writes at once, without busy polling
- watch:  a watch stream over the change log
"""
