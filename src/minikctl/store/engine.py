"""Opening the database. The only place that knows SQLite from PostgreSQL.

SQLite: WAL (readers never block the writer), a long busy timeout (many processes write
one file), synchronous=NORMAL (durable at checkpoints, no fsync per commit), and write
transactions that start with BEGIN IMMEDIATE so two writers never deadlock upgrading a
read lock. PostgreSQL needs none of this: any SQLAlchemy URL works.
"""
from __future__ import annotations

from sqlalchemy import Engine, create_engine, event

WRITE = {"minikctl_write": True}


def open_engine(url: str) -> Engine:
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(url, connect_args={"timeout": 60, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        # Let us issue BEGIN ourselves (pysqlite's own BEGIN is deferred).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=60000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:  # type: ignore[no-untyped-def]
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("minikctl_write") else "BEGIN")

    return engine
