"""Every page of the matching app: the intake, the patient's therapist, check-ins and progress,
and the therapist's offers, patients and practice abroad."""

import re

from django.urls import path, register_converter

from matching.selectors import INTAKE_STEPS
from matching.views import (
    abroad,
    checkins,
    goals,
    intake,
    journal,
    offers,
    patients,
    switching,
    worksheets,
)

_NUMBER = re.compile(r"[0-9]+")


class IntakeStepConverter:
    """Steps appear in URLs as their number ("/start/3/"), never their name: a browser's
    history must not tell anyone that a depression questionnaire was filled in."""

    regex = "[^/]+"

    def to_python(self, value: str) -> str:
        # A regex, not str.isdigit(): "²" is a digit to Python, and int() refuses it.
        if not _NUMBER.fullmatch(value) or not 1 <= int(value) <= len(INTAKE_STEPS):
            raise ValueError(value)
        return INTAKE_STEPS[int(value) - 1]

    def to_url(self, step: str) -> str:
        return str(INTAKE_STEPS.index(step) + 1) if step in INTAKE_STEPS else step


register_converter(IntakeStepConverter, "intake_step")

urlpatterns = [
    path("start/", intake.intake_start, name="intake_start"),
    path("start/help/", intake.intake_safety, name="intake_safety"),
    path("start/done/", intake.intake_done, name="intake_done"),
    path("start/send/", intake.intake_submit, name="intake_submit"),
    path("start/<intake_step:step>/", intake.intake_step, name="intake_step"),
    path("my-therapist/", switching.my_therapist, name="my_therapist"),
    path("my-therapist/change/", switching.match_switch, name="match_switch"),
    path("check-in/", checkins.checkin, name="checkin"),
    path("check-in/help/", checkins.checkin_help, name="checkin_help"),
    path("progress/", checkins.my_progress, name="my_progress"),
    path("journal/", journal.journal, name="journal"),
    path("journal/<key:pk>/", journal.journal_entry, name="journal_entry"),
    path("journal/<key:pk>/delete/", journal.journal_entry_delete, name="journal_entry_delete"),
    path("journal/<key:pk>/share/", journal.journal_entry_share, name="journal_entry_share"),
    path(
        "practice/patients/<key:patient_id>/",
        patients.therapist_patient,
        name="therapist_patient",
    ),
    path("practice/former-patients/", patients.former_patients, name="former_patients"),
    path(
        "practice/former-patients/<key:match_id>/",
        patients.former_patient,
        name="former_patient",
    ),
    path("practice/offers/", offers.offer_list, name="therapist_offers"),
    path("practice/offers/<key:pk>/", offers.offer_detail, name="offer_detail"),
    path("practice/offers/<key:pk>/accept/", offers.offer_accept, name="offer_accept"),
    path("practice/offers/<key:pk>/decline/", offers.offer_decline, name="offer_decline"),
    path("practice/abroad/", abroad.abroad_practice, name="abroad_practice"),
]

# Goals and worksheets (issue 18, item 3): the patient's page, then the therapist's.
urlpatterns += [
    path("exercises/", goals.exercises, name="exercises"),
    path("exercises/steps/<key:pk>/", goals.goal_step_mark, name="goal_step_mark"),
    path("exercises/worksheets/<key:pk>/", worksheets.worksheet_fill, name="worksheet_fill"),
    path("exercises/worksheets/<key:pk>/save/", worksheets.worksheet_save, name="worksheet_save"),
    path("exercises/worksheets/<key:pk>/done/", worksheets.worksheet_done, name="worksheet_done"),
    path("practice/patients/<key:patient_id>/goals/new/", goals.goal_new, name="goal_new"),
    path("practice/goals/<key:pk>/", goals.goal_edit, name="goal_edit"),
    path("practice/goals/<key:pk>/archive/", goals.goal_archive, name="goal_archive"),
    path(
        "practice/patients/<key:patient_id>/worksheets/new/",
        worksheets.worksheet_assign,
        name="worksheet_assign",
    ),
    path("practice/worksheets/<key:pk>/", worksheets.worksheet_answers, name="worksheet_answers"),
    path(
        "practice/records/<key:match_id>/goals-and-exercises/",
        goals.care_record,
        name="care_record",
    ),
]
