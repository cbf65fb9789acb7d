"""The intake questionnaire: steps kept in the session, safety first, attached at sign-up."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import User
from matching import selectors
from matching.models import Intake, MatchRequest, SafetyFlag, ScreeningResult
from tests.factories import PASSWORD
from tests.factories.accounts import signup_consents
from tests.factories.matching import MatchFactory, SafetyFlagFactory, make_eligible
from tests.helpers import outbox_to

ANSWERS = {
    "concerns": {"concerns": ["burnout", "anxiety"], "concerns_text": "", "in_danger": "no"},
    "goals": {"goals": "Sleep again.", "previous_therapy": "never"},
    "phq9": {f"q{n}": "1" for n in range(1, 9)} | {"q9": "0"},
    "gad7": {f"q{n}": "2" for n in range(1, 8)},
    "preferences": {"therapist_gender": "", "faith": ""},
    "place": {
        "language_1": "pt",
        "language_2": "en",
        "language_3": "",
        "country": "FR",
        "time_zone": "Europe/Paris",
    },
    "practical": {
        "modality": "video",
        "preferred_days": ["0", "2"],
        "preferred_times": ["evening"],
    },
    "nickname": {"nickname": "Marta"},
}


def draft(visitor) -> dict:
    """The answers the visitor's session holds (sealed there: see test_intake_draft_sealed)."""
    return selectors.intake_draft(session=visitor.session)


def _step(name: str) -> str:
    return reverse("intake_step", kwargs={"step": name})


def answer_all(client, **changes) -> None:
    for step, data in ANSWERS.items():
        response = client.post(_step(step), data | changes.get(step, {}))
        assert response.status_code == 302, (step, response.content[:2000])


@pytest.fixture
def visitor(client, db):
    return client


def test_the_questionnaire_walks_step_by_step_and_keeps_answers(visitor):
    assert visitor.get(reverse("intake_start")).status_code == 200
    response = visitor.post(_step("concerns"), ANSWERS["concerns"])
    assert response.url == _step("goals")
    # A reload, or coming back, shows what was answered.
    page = visitor.get(_step("concerns"))
    assert 'value="burnout" class="choice-list" id="id_concerns_3" checked' in page.text
    assert "Step 1 of 8" in page.text
    answer_all(visitor)
    assert visitor.get(reverse("intake_done")).status_code == 200


def test_skipping_ahead_goes_back_to_the_first_unanswered_step(visitor):
    visitor.post(_step("concerns"), ANSWERS["concerns"])
    response = visitor.get(_step("place"))
    assert response.status_code == 302
    assert response.url == _step("goals")
    assert visitor.get(reverse("intake_done")).url == _step("goals")


def test_an_unknown_step_is_404(visitor):
    assert visitor.get(_step("income")).status_code == 404


@pytest.mark.parametrize(
    ("step", "data", "message"),
    [
        ("concerns", {"in_danger": "no"}, "Choose at least one"),
        ("concerns", {"concerns": ["gambling"], "in_danger": "no"}, "Select a valid choice"),
    ],
)
def test_bad_answers_are_refused_and_not_kept(visitor, step, data, message):
    response = visitor.post(_step(step), data)
    assert response.status_code == 422
    assert message in response.text
    assert "concerns" not in visitor.session.get("intake", {})


def test_a_screening_answer_out_of_scale_is_refused(visitor):
    visitor.post(_step("concerns"), ANSWERS["concerns"])
    visitor.post(_step("goals"), ANSWERS["goals"])
    response = visitor.post(_step("phq9"), ANSWERS["phq9"] | {"q4": "7"})
    assert response.status_code == 422
    assert "phq9" not in draft(visitor)


def test_the_same_language_twice_is_refused(visitor):
    for step in ("concerns", "goals", "phq9", "gad7", "preferences"):
        visitor.post(_step(step), ANSWERS[step])
    response = visitor.post(_step("place"), ANSWERS["place"] | {"language_2": "pt"})
    assert response.status_code == 422
    assert "Choose each language once." in response.text


def test_signing_up_keeps_the_answers_and_starts_matching(
    visitor, django_capture_on_commit_callbacks
):
    answer_all(visitor)
    signup = visitor.get(reverse("signup_patient"))
    assert 'value="Marta"' in signup.text  # the nickname from the questionnaire
    with django_capture_on_commit_callbacks(execute=True):
        response = visitor.post(
            reverse("signup_patient"),
            {
                "nickname": "Marta",
                "email": "marta@example.test",
                "password1": PASSWORD,
                "password2": PASSWORD,
                "time_zone": "Europe/Paris",
            }
            | signup_consents(),
        )
    assert response.status_code == 302
    patient = User.objects.get(email="marta@example.test")
    intake = Intake.objects.get(patient=patient)
    assert intake.concerns == ["burnout", "anxiety"]
    assert intake.languages == ["pt", "en"]
    assert intake.preferred_days == [0, 2]
    scores = {
        r.instrument: (r.score, r.band) for r in ScreeningResult.objects.filter(patient=patient)
    }
    assert scores == {"phq9": (8, "mild"), "gad7": (14, "moderate")}
    request = MatchRequest.objects.get(patient=patient)
    assert request.status == MatchRequest.Status.OPEN
    assert request.deadline - request.created_at == timedelta(hours=24)
    assert not SafetyFlag.objects.exists()
    assert "intake" not in visitor.session


def test_logging_in_attaches_the_answers(visitor, patient):
    answer_all(visitor)
    visitor.post(reverse("account_login"), {"login": patient.email, "password": PASSWORD})
    assert Intake.objects.filter(patient=patient).count() == 1
    assert patient.match_requests.count() == 1


def test_a_logged_in_patient_sends_the_answers(patient_client, patient):
    answer_all(patient_client, practical={"preferred_days": [], "preferred_times": []})
    response = patient_client.post(reverse("intake_submit"))
    assert response.url == reverse("home")
    assert Intake.objects.filter(patient=patient).count() == 1
    patient.patient_profile.refresh_from_db()
    assert patient.patient_profile.nickname == "Robin"  # the account's nickname stays


def test_an_incomplete_questionnaire_cannot_be_sent(patient_client, patient):
    patient_client.post(_step("concerns"), ANSWERS["concerns"])
    response = patient_client.post(reverse("intake_submit"))
    assert response.status_code == 302
    assert not Intake.objects.exists()


def test_a_patient_with_a_therapist_gets_a_reassessment_not_a_new_search(
    patient_client, patient, therapist
):
    MatchFactory(patient=patient, therapist=therapist.therapist_profile)
    answer_all(patient_client)
    patient_client.post(reverse("intake_submit"))
    assert ScreeningResult.objects.filter(patient=patient).count() == 2
    assert not MatchRequest.objects.exists()


def test_therapists_and_staff_have_no_questionnaire(therapist_client, staff_client):
    for client in (therapist_client, staff_client):
        assert client.get(reverse("intake_start")).status_code == 404
        assert client.post(_step("concerns"), ANSWERS["concerns"]).status_code == 404
        assert client.post(reverse("intake_submit")).status_code == 404


# --- Safety -----------------------------------------------------------------------------------


def test_saying_one_is_in_danger_shows_help_at_once(visitor):
    response = visitor.post(_step("concerns"), ANSWERS["concerns"] | {"in_danger": "yes"})
    assert response.url == reverse("intake_safety")
    page = visitor.get(response.url).text
    numbers = page[page.index('id="numbers-heading"') : page.index("</section>")]
    assert 'href="tel:112"' in numbers
    assert 'href="tel:3114"' in numbers  # country not known yet: France's line is named
    assert _step("goals") in page  # and the questionnaire goes on


def test_phq9_item_9_above_zero_shows_help_and_flags_the_case(
    visitor, staff, django_capture_on_commit_callbacks
):
    for step in ("concerns", "goals"):
        visitor.post(_step(step), ANSWERS[step])
    response = visitor.post(_step("phq9"), ANSWERS["phq9"] | {"q9": "1"})
    assert response.url == reverse("intake_safety")
    for step in ("gad7", "preferences", "place", "practical", "nickname"):
        visitor.post(_step(step), ANSWERS[step])
    with django_capture_on_commit_callbacks(execute=True):
        visitor.post(
            reverse("signup_patient"),
            {
                "nickname": "Marta",
                "email": "m@example.test",
                "password1": PASSWORD,
                "password2": PASSWORD,
                "time_zone": "Europe/Paris",
            }
            | signup_consents(),
        )
    flag = SafetyFlag.objects.get()
    assert flag.reason == SafetyFlag.Reason.PHQ9_ITEM9
    alert = outbox_to(staff.email)
    assert len(alert) == 1
    assert "PHQ" not in alert[0].body
    assert "m@example.test" not in alert[0].body
    assert "/admin/matching/safetyflag/" in alert[0].body


def test_the_safety_page_lists_the_numbers_of_the_patients_country(visitor):
    for step in ("concerns", "goals", "phq9", "gad7", "preferences"):
        visitor.post(_step(step), ANSWERS[step])
    visitor.post(_step("place"), ANSWERS["place"] | {"country": "DE"})
    page = visitor.get(reverse("intake_safety")).text
    numbers = page[page.index('id="numbers-heading"') : page.index("</section>")]
    assert 'href="tel:112"' in numbers
    assert 'href="tel:3114"' not in numbers  # the footer still names it, for France


def test_staff_see_flagged_cases_in_the_admin(staff_client, patient):
    SafetyFlagFactory(patient=patient, reason=SafetyFlag.Reason.IN_DANGER)
    page = staff_client.get("/admin/matching/safetyflag/?reviewed=no")
    assert page.status_code == 200
    assert "Robin" in page.text
    assert mail.outbox == []


def test_the_patient_home_says_where_the_search_stands(patient_client, patient, therapist):
    make_eligible(therapist, specialities=["burnout"])  # someone can see them: no waiting list
    assert "Find my therapist" in patient_client.get(reverse("home")).text
    answer_all(patient_client)
    patient_client.post(reverse("intake_submit"))
    assert (
        "We are looking for the right therapist for you" in patient_client.get(reverse("home")).text
    )
    MatchRequest.objects.update(status=MatchRequest.Status.MATCHED)
    MatchFactory(patient=patient, therapist=therapist.therapist_profile)
    name = therapist.therapist_profile.display_name
    assert f"You are working with {name}." in patient_client.get(reverse("home")).text


def test_the_safety_page_names_112_and_3114_even_with_no_resource_recorded(visitor):
    from matching.models import EmergencyResource

    EmergencyResource.objects.all().delete()
    page = visitor.get(reverse("intake_safety")).text
    numbers = page[page.index('id="numbers-heading"') : page.index("</section>")]
    assert 'href="tel:112"' in numbers
    assert 'href="tel:3114"' in numbers


def test_urls_name_no_questionnaire(visitor):
    assert _step("phq9") == "/start/3/"
    assert reverse("intake_safety") == "/start/help/"
    assert visitor.get("/start/9/").status_code == 404
    assert visitor.get("/start/0/").status_code == 404


# --- Errors, places (issue 14) -----------------------------------------------------------------


def test_a_step_with_errors_lists_them_at_the_top_linking_to_each_field(visitor):
    for step in ("concerns", "goals", "phq9", "gad7", "preferences"):
        visitor.post(_step(step), ANSWERS[step])

    response = visitor.post(_step("place"), {"time_zone": "Europe/Paris"})

    assert response.status_code == 422
    page = response.text
    start = page.index("data-error-summary")
    summary = page[start : page.index("</ul>", start)]
    assert re.search(r'<div [^>]*tabindex="-1" data-error-summary', page)  # takes the focus
    assert "2 answers need your attention:" in summary
    assert 'href="#id_language_1"' in summary
    assert 'href="#id_country"' in summary
    assert "The language you would most like to speak: This field is required." in summary
    assert 'id="id_language_1"' in page
    assert 'id="id_country"' in page
    assert "matching/error_summary.js" in page


def test_the_summary_links_a_group_of_choices_to_its_first_choice(visitor):
    response = visitor.post(_step("concerns"), {})

    summary = response.text[response.text.index("data-error-summary") :]
    assert 'href="#id_concerns_0"' in summary
    assert 'href="#id_in_danger_0"' in summary
    assert 'id="id_concerns_0"' in response.text


def test_no_summary_on_a_step_without_errors(visitor):
    assert "data-error-summary" not in visitor.get(_step("concerns")).text


def test_the_country_one_comes_from_is_kept(visitor, patient):
    answer_all(visitor, place={"country": "JP", "home_country": "FR", "time_zone": "Asia/Tokyo"})
    visitor.post(
        reverse("account_login"), {"login": patient.email, "password": PASSWORD}, follow=True
    )

    intake = Intake.objects.get(patient=patient)
    assert (intake.country.code, intake.home_country.code) == ("JP", "FR")


def test_the_same_country_twice_says_nothing_more(visitor):
    for step in ("concerns", "goals", "phq9", "gad7", "preferences"):
        visitor.post(_step(step), ANSWERS[step])
    visitor.post(_step("place"), ANSWERS["place"] | {"home_country": "FR"})

    assert draft(visitor)["place"]["home_country"] == ""


def test_an_unknown_home_country_is_refused(visitor):
    for step in ("concerns", "goals", "phq9", "gad7", "preferences"):
        visitor.post(_step(step), ANSWERS[step])

    response = visitor.post(_step("place"), ANSWERS["place"] | {"home_country": "XX"})

    assert response.status_code == 422
    assert "place" not in draft(visitor)


@pytest.mark.parametrize("step", ["²", "1.0", "-1", "01x", "9" * 40])
def test_odd_step_numbers_are_404_not_500(visitor, step):
    assert visitor.get(f"/start/{step}/").status_code == 404
