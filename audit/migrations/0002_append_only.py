"""The access log is append-only in the database itself: on PostgreSQL a trigger refuses every
UPDATE and DELETE on the table, whoever sends it (the application, a shell, psql). SQLite (the
embedded default) has no such guard here; the model refuses on the Python side.

TRUNCATE (a table owner's privilege, what test databases use to empty themselves) is not
refused; the hash chain does not show a table emptied whole either (docs/features.md)."""

from django.db import migrations

FORWARDS = [
    """
    CREATE FUNCTION audit_accessentry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION USING
            MESSAGE = 'the access log is append-only: ' || TG_OP || ' refused',
            ERRCODE = 'restrict_violation';
    END
    $$
    """,
    # For each statement, not each row: even an UPDATE or DELETE that matches nothing is
    # refused, so an attempt is never mistaken for harmless.
    """
    CREATE TRIGGER audit_accessentry_append_only
        BEFORE UPDATE OR DELETE ON audit_accessentry
        FOR EACH STATEMENT EXECUTE FUNCTION audit_accessentry_append_only()
    """,
]

BACKWARDS = [
    "DROP TRIGGER IF EXISTS audit_accessentry_append_only ON audit_accessentry",
    "DROP FUNCTION IF EXISTS audit_accessentry_append_only()",
]


def _on_postgresql(statements: list[str]):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        with schema_editor.connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [
        migrations.RunPython(_on_postgresql(FORWARDS), _on_postgresql(BACKWARDS), elidable=False),
    ]
