"""Tables. Plain SQLAlchemy Core types only, so the same DDL runs on SQLite and PostgreSQL."""
from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, MetaData, String, Table, Text

metadata = MetaData()

# One row: the global revision counter and the compaction point. Writers bump the
# counter first; holding its row lock until commit makes commit order equal
# revision order on every database, so a watcher reading "after N" never skips a write.
revision = Table(
    "revision",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("current", BigInteger, nullable=False),
    Column("compacted", BigInteger, nullable=False),
)

# Current value of every live object. key = "<resource>/<namespace>/<name>".
objects = Table(
    "objects",
    metadata,
    Column("key", String(512), primary_key=True),
    Column("resource", String(128), nullable=False),
    Column("namespace", String(253), nullable=False),
    Column("name", String(253), nullable=False),
    Column("revision", BigInteger, nullable=False),
    Column("value", Text, nullable=False),
    Index("objects_resource_namespace", "resource", "namespace"),
)

# The change log, one row per write, ordered by revision; compacted from the front.
changes = Table(
    "changes",
    metadata,
    Column("revision", BigInteger, primary_key=True, autoincrement=False),
    Column("key", String(512), nullable=False),
    Column("resource", String(128), nullable=False),
    Column("namespace", String(253), nullable=False),
    Column("type", String(16), nullable=False),
    Column("value", Text, nullable=False),
)
