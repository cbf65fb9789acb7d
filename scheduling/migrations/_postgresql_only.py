"""Migration operations that touch the database only on PostgreSQL.

The appointments' no-overlap rule is an exclusion constraint, which SQLite (the embedded
default) cannot express. ``AddConstraintOnPostgreSQL`` creates such a constraint on PostgreSQL
and does nothing elsewhere; it also leaves Django's migration state alone, matching models that
deliberately do not declare the constraint in ``Meta`` (see ``scheduling.models.Appointment``),
so ``makemigrations`` stays clean on both databases and never proposes to create or drop it.

This module's name starts with an underscore, so the migration loader does not take it for a
migration. A later change to these constraints is written by hand, with these operations.
"""

from django.contrib.postgres.fields import DateTimeRangeField
from django.db import migrations
from django.db.migrations.operations.base import Operation
from django.db.models import Func


class TsTzRange(Func):
    """``tstzrange(lower, upper, bounds)``: the time an appointment takes, as a range."""

    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


def _on_postgresql(schema_editor) -> bool:
    return schema_editor.connection.vendor == "postgresql"


class AddConstraintOnPostgreSQL(migrations.AddConstraint):
    """``AddConstraint`` on PostgreSQL only, invisible to the migration state."""

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if _on_postgresql(schema_editor):
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if _on_postgresql(schema_editor):
            super().database_backwards(app_label, schema_editor, from_state, to_state)

    def describe(self):
        return f"{super().describe()} (PostgreSQL only)"

    def reduce(self, operation, app_label):
        # Never optimised away against a state-changing RemoveConstraint of the same name.
        return Operation.reduce(self, operation, app_label)
