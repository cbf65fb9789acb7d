"""No input to an accounts form gives a 500, and a refused one writes nothing (issue 15): the
profile (a patient's, a therapist's), the language switch, each step of a therapist's
application (the language rows' management form included), sign-up, log-in and the two-factor
code, and the ids of credential documents and public profiles. Property tests with
tests/inputs.py."""

from urllib.parse import quote

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import TherapistFactory
from tests.factories.accounts import TherapistDocumentFactory
from tests.helpers import client_for
from tests.inputs import EDGE_DAYS, EDGE_NUMBERS, answers_without_error, field_values, form_data

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# Ids past the database's range: a few examples say it (the converter is the same for all).
IDS = settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
HTMX = {"HX-Request": "true"}
ZONES = ["Europe/Paris", "Asia/Tokyo", "Etc/GMT+12", "Mars/Olympus", "UTC", "localtime"]
COUNTRIES = ["FR", "JP", "XX", "fr", ""]


@pytest.fixture
def applicant(db):
    """A therapist whose application is a draft: every step can be saved."""
    return TherapistFactory(therapist_profile__vetting_status="draft")


@FUZZ
@given(
    data=form_data(
        {
            "nickname": ["Robin"],
            "country": COUNTRIES,
            "language": ["en", "fr", "de"],
            "time_zone": ZONES,
        }
    ),
    htmx=st.booleans(),
)
def test_no_profile_input_gives_a_500(patient, therapist, data, htmx):
    for user in (patient, therapist):
        answers_without_error(
            client_for(user), "post", reverse("profile"), data, headers=HTMX if htmx else None
        )


@FUZZ
@given(data=form_data({"language": ["en", "fr", "xx"], "next": ["/home/", "//evil.test/"]}))
def test_no_language_switch_gives_a_500(client, patient, data):
    answers_without_error(client, "post", reverse("language_set"), data)
    answers_without_error(
        client_for(patient), "post", reverse("language_set"), data, refused_writes_nothing=False
    )


def _step(name: str) -> str:
    return reverse("therapist_application_step", kwargs={"step": name})


@FUZZ
@given(
    data=form_data(
        {
            "display_name": ["Dr Ana Ruiz"],
            "gender": ["woman", "man", "other"],
            "time_zone": ZONES,
            "remove_photo": ["on"],
            "languages-TOTAL_FORMS": ["0", "1", "2", "13", "1000", "-1", *EDGE_NUMBERS],
            "languages-INITIAL_FORMS": ["0", "1", "-1", *EDGE_NUMBERS],
            "languages-MIN_NUM_FORMS": ["0"],
            "languages-MAX_NUM_FORMS": ["12", "1000"],
            "languages-0-language": ["fr", "en", "xx"],
            "languages-0-level": ["native", "fluent", "x"],
            "languages-0-bio": None,
            "languages-1-language": ["fr", "de"],
            "languages-1-level": ["native"],
        }
    )
)
def test_no_about_step_gives_a_500(applicant, data):
    answers_without_error(client_for(applicant), "post", _step("about"), data)


@FUZZ
@given(
    data=form_data(
        {
            "specialities": ["burnout", "anxiety", "x"],
            "approaches": ["cbt", "x"],
            "modalities": ["video", "chat", "x"],
            "faith": ["", "christian", "x"],
            "caseload_limit": ["1", "200", "201", *EDGE_NUMBERS],
            "accepting_new_patients": ["on"],
            "continue": ["1"],
        },
        multiple=("specialities", "approaches", "modalities"),
    )
)
def test_no_practice_step_gives_a_500(applicant, data):
    answers_without_error(client_for(applicant), "post", _step("practice"), data)


@FUZZ
@given(
    data=form_data(
        {
            "degree_level": ["", "bachelor", "master", "doctorate", "x"],
            "degree_field": None,
            "degree_institution": None,
            "degree_year": ["1950", "2100", "2101", "1949", *EDGE_NUMBERS],
            "license_number": None,
            "license_issuer": None,
            "license_country": COUNTRIES,
            "license_expiry": EDGE_DAYS,
            "licensed_countries": COUNTRIES,
            "practising_since": EDGE_DAYS,
            "clinical_hours": ["0", "200000", "200001", *EDGE_NUMBERS],
        },
        multiple=("licensed_countries",),
    )
)
def test_no_credentials_step_gives_a_500(applicant, data):
    answers_without_error(client_for(applicant), "post", _step("credentials"), data)


@FUZZ
@given(data=form_data({"kind": ["degree", "license", "x"], "continue": ["1"]}))
def test_no_documents_step_without_a_file_gives_a_500(applicant, data):
    answers_without_error(client_for(applicant), "post", _step("documents"), data)


@FUZZ
@given(step=st.text(max_size=30).filter(lambda s: "/" not in s and s.strip()))
def test_no_step_name_gives_a_500(applicant, step):
    response = answers_without_error(
        client_for(applicant), "get", f"/practice/application/{quote(step, safe='')}/"
    )
    assert response.status_code in (200, 400, 404)


@IDS
@given(pk=st.integers(min_value=2**31, max_value=2**70))
def test_document_and_profile_ids_past_the_database_range_are_not_found(applicant, client, pk):
    TherapistDocumentFactory(therapist=applicant.therapist_profile)
    owner = client_for(applicant)
    for user_client, method, name in (
        (owner, "get", "therapist_document"),
        (owner, "post", "therapist_document_delete"),
        (client, "get", "therapist_public"),
        (client, "get", "therapist_photo"),
    ):
        response = answers_without_error(user_client, method, reverse(name, kwargs={"pk": pk}))
        assert response.status_code == 404


@FUZZ
@given(
    data=form_data(
        {
            "nickname": ["Robin"],
            "email": ["new@example.test", "patient@example.test", "a@b", "@"],
            "password1": ["a-long-passphrase-1"],
            "password2": ["a-long-passphrase-1"],
            "time_zone": ZONES,
        }
    ),
    role=st.sampled_from(["signup_patient", "signup_therapist"]),
)
def test_no_sign_up_input_gives_a_500(client, patient, data, role):
    answers_without_error(client, "post", reverse(role), data)


@FUZZ
@given(
    ids=st.lists(st.one_of(field_values(), st.integers().map(str)), max_size=4),
    reason=form_data({"reason": None}),
)
def test_no_selection_of_therapists_gives_the_admin_a_500(staff_client, applicant, ids, reason):
    url = reverse("admin:accounts_therapistprofile_decide_selected", args=["approve"])
    query = "&".join(f"ids={quote(value, safe='')}" for value in ids)
    answers_without_error(staff_client, "get", f"{url}?{query}")
    answers_without_error(staff_client, "post", f"{url}?{query}", reason)


@FUZZ
@given(zone=field_values(["Europe/Paris", "Asia%2FTokyo"]))
def test_no_time_zone_cookie_gives_a_500(client, zone):
    client.cookies["tz"] = quote(zone, safe="/%")  # as site.js writes it (encodeURIComponent)
    for page in ("landing", "intake_start", "account_login"):
        answers_without_error(client, "get", reverse(page))
