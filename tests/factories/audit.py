"""Audit: staff members in the groups of least privilege, and the groups themselves as the
migration makes them (a test that commits empties every table after it, groups included)."""

import importlib

from django.apps import apps as django_apps
from django.contrib.auth.models import Group

from accounts.models import User
from audit.models import STAFF_GROUPS, AccessEntry
from tests.factories.accounts import StaffFactory

_GROUPS_MIGRATION = "audit.migrations.0003_staff_groups"


def staff_groups() -> None:
    """Make the staff groups with their permissions, as audit's migration 0003 does.
    Idempotent."""
    importlib.import_module(_GROUPS_MIGRATION).create_groups(django_apps, None)


def staff_in(role: AccessEntry.Role, **fields) -> User:
    """A staff member in the group of ``role`` only (not a superuser, unless ``fields`` say)."""
    staff_groups()
    user = StaffFactory.create(**({"is_superuser": False} | fields))
    user.groups.add(Group.objects.get(name=STAFF_GROUPS[role]))
    return user


def entries_of(patient) -> list[AccessEntry]:
    """The patient's access log, oldest first."""
    return list(AccessEntry.objects.filter(patient_id=patient.pk).order_by("seq"))
