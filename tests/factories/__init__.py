"""Factories for every model a test needs, one module per app (``tests.factories.<app>``).

The people are used everywhere, so they are also importable from here.
"""

from tests.factories.accounts import (
    PASSWORD,
    PDF,
    TOTP_SECRET,
    PatientFactory,
    PatientProfileFactory,
    StaffFactory,
    TherapistDocumentFactory,
    TherapistFactory,
    TherapistProfileFactory,
    UserFactory,
)

__all__ = [
    "PASSWORD",
    "PDF",
    "TOTP_SECRET",
    "PatientFactory",
    "PatientProfileFactory",
    "StaffFactory",
    "TherapistDocumentFactory",
    "TherapistFactory",
    "TherapistProfileFactory",
    "UserFactory",
]
