"""Triggers that keep stats.MachineCount equal to a fresh count of the registrations, and
the fresh count itself (rebuild). PostgreSQL and SQLite each get their own triggers: the
same rule, in the database, so that every path that writes a registration (actions, the
admin, restore, raw SQL) keeps the counts, in its own transaction.

A registration counts under its own district, stage and status and its declaration's
machine type and fuel; changing any of these moves one count from the old key to the new.
TRUNCATE (PostgreSQL) empties the counts with the table.
"""

from __future__ import annotations

from typing import Any

COUNTS = "stats_machinecount"
KEY = "district, stage, machine_type, fuel_type, status"

_PG_INSTALL = """
CREATE OR REPLACE FUNCTION stats_machine_count_add(
    d varchar, s integer, t varchar, f varchar, st varchar, delta integer
) RETURNS void AS $$
BEGIN
    INSERT INTO stats_machinecount (district, stage, machine_type, fuel_type, status, n)
    VALUES (d, s, COALESCE(t, ''), COALESCE(f, ''), st, delta)
    ON CONFLICT (district, stage, machine_type, fuel_type, status)
    DO UPDATE SET n = stats_machinecount.n + EXCLUDED.n;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION stats_registration_counted() RETURNS trigger AS $$
DECLARE t varchar; f varchar;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        SELECT machine_type, fuel_type INTO t, f FROM registry_declaration
        WHERE id = OLD.declaration_id;
        PERFORM stats_machine_count_add(OLD.district, OLD.stage, t, f, OLD.status, -1);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        SELECT machine_type, fuel_type INTO t, f FROM registry_declaration
        WHERE id = NEW.declaration_id;
        PERFORM stats_machine_count_add(NEW.district, NEW.stage, t, f, NEW.status, 1);
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION stats_declaration_counted() RETURNS trigger AS $$
DECLARE r record;
BEGIN
    IF NEW.machine_type IS DISTINCT FROM OLD.machine_type
            OR NEW.fuel_type IS DISTINCT FROM OLD.fuel_type THEN
        FOR r IN SELECT district, stage, status FROM registry_registration
                WHERE declaration_id = NEW.id LOOP
            PERFORM stats_machine_count_add(
                r.district, r.stage, OLD.machine_type, OLD.fuel_type, r.status, -1);
            PERFORM stats_machine_count_add(
                r.district, r.stage, NEW.machine_type, NEW.fuel_type, r.status, 1);
        END LOOP;
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION stats_registrations_truncated() RETURNS trigger AS $$
BEGIN
    DELETE FROM stats_machinecount;
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER stats_registration_counted
AFTER INSERT OR DELETE OR UPDATE OF district, stage, status, declaration_id
ON registry_registration FOR EACH ROW EXECUTE FUNCTION stats_registration_counted();

CREATE TRIGGER stats_declaration_counted
AFTER UPDATE OF machine_type, fuel_type
ON registry_declaration FOR EACH ROW EXECUTE FUNCTION stats_declaration_counted();

CREATE TRIGGER stats_registrations_truncated
AFTER TRUNCATE ON registry_registration
FOR EACH STATEMENT EXECUTE FUNCTION stats_registrations_truncated();
"""

_PG_UNINSTALL = """
DROP TRIGGER IF EXISTS stats_registration_counted ON registry_registration;
DROP TRIGGER IF EXISTS stats_declaration_counted ON registry_declaration;
DROP TRIGGER IF EXISTS stats_registrations_truncated ON registry_registration;
DROP FUNCTION IF EXISTS stats_registration_counted();
DROP FUNCTION IF EXISTS stats_declaration_counted();
DROP FUNCTION IF EXISTS stats_registrations_truncated();
DROP FUNCTION IF EXISTS stats_machine_count_add(
    varchar, integer, varchar, varchar, varchar, integer);
"""


def _sqlite_add(row: str, t: str, f: str, delta: int, source: str) -> str:
    # "WHERE true" keeps SQLite from reading ON CONFLICT as part of a join.
    return (
        f"INSERT INTO {COUNTS} ({KEY}, n) SELECT {row}.district, {row}.stage, "
        f"COALESCE({t}, ''), COALESCE({f}, ''), {row}.status, {delta} {source} "
        f"ON CONFLICT ({KEY}) DO UPDATE SET n = n + excluded.n;"
    )


_DECLARATION_OF = "FROM registry_declaration d WHERE d.id = {row}.declaration_id"
_REGISTRATIONS_OF = "FROM registry_registration r WHERE r.declaration_id = NEW.id"

_SQLITE_INSTALL = [
    "CREATE TRIGGER stats_registration_inserted AFTER INSERT ON registry_registration BEGIN "
    + _sqlite_add("NEW", "d.machine_type", "d.fuel_type", 1, _DECLARATION_OF.format(row="NEW"))
    + " END;",
    "CREATE TRIGGER stats_registration_deleted AFTER DELETE ON registry_registration BEGIN "
    + _sqlite_add("OLD", "d.machine_type", "d.fuel_type", -1, _DECLARATION_OF.format(row="OLD"))
    + " END;",
    "CREATE TRIGGER stats_registration_updated AFTER UPDATE OF district, stage, status, "
    "declaration_id ON registry_registration BEGIN "
    + _sqlite_add("OLD", "d.machine_type", "d.fuel_type", -1, _DECLARATION_OF.format(row="OLD"))
    + _sqlite_add("NEW", "d.machine_type", "d.fuel_type", 1, _DECLARATION_OF.format(row="NEW"))
    + " END;",
    "CREATE TRIGGER stats_declaration_updated AFTER UPDATE OF machine_type, fuel_type "
    "ON registry_declaration WHEN NEW.machine_type IS NOT OLD.machine_type "
    "OR NEW.fuel_type IS NOT OLD.fuel_type BEGIN "
    + _sqlite_add("r", "OLD.machine_type", "OLD.fuel_type", -1, _REGISTRATIONS_OF)
    + _sqlite_add("r", "NEW.machine_type", "NEW.fuel_type", 1, _REGISTRATIONS_OF)
    + " END;",
]
_SQLITE_UNINSTALL = [
    "DROP TRIGGER IF EXISTS stats_registration_inserted;",
    "DROP TRIGGER IF EXISTS stats_registration_deleted;",
    "DROP TRIGGER IF EXISTS stats_registration_updated;",
    "DROP TRIGGER IF EXISTS stats_declaration_updated;",
]

REBUILD = [
    "DELETE FROM stats_machinecount",
    "INSERT INTO stats_machinecount (district, stage, machine_type, fuel_type, status, n)"
    " SELECT r.district, r.stage, d.machine_type, d.fuel_type, r.status, COUNT(*)"
    " FROM registry_registration r JOIN registry_declaration d ON d.id = r.declaration_id"
    " GROUP BY r.district, r.stage, d.machine_type, d.fuel_type, r.status",
]

# The one trigger a bulk load of registrations (stats.generate) may switch off for the load,
# rebuilding the counts after it in the same transaction.
PG_ROW_TRIGGER = ("registry_registration", "stats_registration_counted")


def install(schema_editor: Any) -> None:
    _run(schema_editor, [_PG_INSTALL] if _pg(schema_editor) else _SQLITE_INSTALL)
    _run(schema_editor, REBUILD)


def uninstall(schema_editor: Any) -> None:
    _run(schema_editor, [_PG_UNINSTALL] if _pg(schema_editor) else _SQLITE_UNINSTALL)


def rebuild(connection: Any) -> None:
    with connection.cursor() as cursor:
        for sql in REBUILD:
            cursor.execute(sql)


def _pg(schema_editor: Any) -> bool:
    return bool(schema_editor.connection.vendor == "postgresql")


def _run(schema_editor: Any, statements: list[str]) -> None:
    if schema_editor.connection.vendor not in ("postgresql", "sqlite"):
        raise NotImplementedError(schema_editor.connection.vendor)
    with schema_editor.connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
