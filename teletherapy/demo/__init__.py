"""Demo data for the embedded default: known logins and a story for every journey, so a
newcomer can click through at once. ``data`` holds the people and their words, ``files`` draws
their photos and documents, ``load`` makes them exist through the apps' services.

Never for production: the passwords and the two-factor secret are public (``demo_data`` refuses
to run unless ``DEBUG=true``).
"""

from teletherapy.demo.data import (
    DEMO_TOTP_SECRET,
    PATIENT_PASSWORD,
    PATIENTS,
    STAFF_EMAIL,
    STAFF_PASSWORD,
    THERAPIST_PASSWORD,
    THERAPISTS,
)
from teletherapy.demo.load import demo_data_load

__all__ = [
    "DEMO_TOTP_SECRET",
    "PATIENTS",
    "PATIENT_PASSWORD",
    "STAFF_EMAIL",
    "STAFF_PASSWORD",
    "THERAPISTS",
    "THERAPIST_PASSWORD",
    "demo_data_load",
]
