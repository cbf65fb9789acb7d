"""The therapist's availability page (session settings, weekly hours, time off) and week
calendar: each form with and without htmx, bad input refused with nothing written, times in the
therapist's zone, and 404 for everyone but the approved therapist whose data it is."""

import html
from datetime import UTC, date, datetime, time, timedelta

import pytest
import recurrence
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from scheduling import services
from scheduling.models import Appointment, AvailabilitySettings, AvailabilityWindow, TimeOff
from scheduling.selectors import availability as availability_selectors
from tests.factories import TherapistFactory
from tests.factories.scheduling import AvailabilityWindowFactory, session_of
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
# The controlled clock: Monday 4 March 2030, 10:00 in Paris (the factories' zone).
NOW = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)
TODAY = date(2030, 3, 4)

AVAILABILITY = reverse("practice_availability")
SETTINGS = reverse("practice_availability_settings")
WINDOW_ADD = reverse("practice_window_add")
TIME_OFF_ADD = reverse("practice_time_off_add")
CALENDAR = reverse("practice_calendar")


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def therapist(db):
    return TherapistFactory(
        email="therapist@example.test", therapist_profile__modalities=["video", "phone"]
    )


@pytest.fixture
def profile(therapist):
    return therapist.therapist_profile


def text(response) -> str:
    return html.unescape(response.text)


def window(profile, days=(0,), start="09:00", end="12:00") -> AvailabilityWindow:
    return services.availability_window_add(
        therapist=profile,
        weekdays=days,
        start=time.fromisoformat(start),
        end=time.fromisoformat(end),
    )


def time_off(profile, first: date, last: date) -> TimeOff:
    return services.time_off_add(therapist=profile, first_day=first, last_day=last)


def session(patient, therapist, starts_at, minutes=50, **fields) -> Appointment:
    return session_of(patient, therapist.therapist_profile, starts_at, minutes, **fields)


def window_data(days=("0",), start="09:00", end="12:00") -> dict:
    return {"weekdays": list(days), "start": start, "end": end}


SETTINGS_DATA = {
    "session_minutes": "45",
    "buffer_minutes": "15",
    "notice_hours": "24",
    "horizon_weeks": "8",
}


# --- The page ----------------------------------------------------------------------------------


def test_the_page_shows_the_defaults_the_zone_and_how_sessions_are_offered(therapist_client):
    page = therapist_client.get(AVAILABILITY)

    assert page.status_code == 200
    body = text(page)
    assert "Times are in Europe/Paris." in body
    assert '<option value="50" selected>' in body  # the default session length
    assert 'name="notice_hours" value="12"' in body
    assert "Video, Phone (audio only)." in body
    assert reverse("therapist_application_step", kwargs={"step": "practice"}) in body
    assert "No weekly hours yet" in body
    assert "No time off planned." in body
    # The days to choose are a group with its own name.
    assert "<legend" in body
    assert ">Days</legend>" in body
    assert 'type="time"' in body
    assert 'step="300"' in body


def test_the_page_is_in_the_therapists_own_zone(therapist, therapist_client):
    therapist.time_zone = "America/New_York"
    therapist.save()
    assert "Times are in America/New_York." in text(therapist_client.get(AVAILABILITY))


# --- Session settings --------------------------------------------------------------------------


def test_saving_settings_without_javascript_redirects_with_a_message(therapist_client, profile):
    response = therapist_client.post(SETTINGS, SETTINGS_DATA)

    assert response.status_code == 302
    assert response.url == AVAILABILITY + "#settings"
    saved = AvailabilitySettings.objects.get(therapist=profile)
    assert (saved.session_minutes, saved.buffer_minutes) == (45, 15)
    assert (saved.notice_hours, saved.horizon_weeks) == (24, 8)
    page = therapist_client.get(response.url)
    assert "Session settings saved." in text(page)
    assert '<option value="45" selected>' in text(page)


def test_saving_settings_with_htmx_returns_the_form_and_the_status_line(therapist_client):
    response = therapist_client.post(SETTINGS, SETTINGS_DATA | {"notice_hours": "0"}, headers=HTMX)

    assert response.status_code == 200
    body = text(response)
    assert "<html" not in body
    assert '<form id="settings-body"' in body
    assert 'name="notice_hours" value="0"' in body
    assert '<div id="settings-status" hx-swap-oob="innerHTML">' in body
    assert "Session settings saved." in body
    assert AvailabilitySettings.objects.get().notice_hours == 0


def test_saving_settings_again_updates_the_same_row(therapist_client, profile):
    therapist_client.post(SETTINGS, SETTINGS_DATA)
    therapist_client.post(SETTINGS, SETTINGS_DATA | {"horizon_weeks": "26"})
    assert AvailabilitySettings.objects.get(therapist=profile).horizon_weeks == 26


@pytest.mark.parametrize("htmx", [False, True])
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("notice_hours", "169", "less than or equal to 168"),
        ("notice_hours", "-1", "greater than or equal to 0"),
        ("horizon_weeks", "0", "greater than or equal to 1"),
        ("horizon_weeks", "27", "less than or equal to 26"),
        ("horizon_weeks", "many", "Enter a whole number."),
        ("session_minutes", "40", "Select a valid choice."),
        ("buffer_minutes", "7", "Select a valid choice."),
    ],
)
def test_bad_settings_are_refused_and_nothing_is_saved(
    therapist_client, field, value, message, htmx
):
    response = therapist_client.post(
        SETTINGS, SETTINGS_DATA | {field: value}, headers=HTMX if htmx else {}
    )

    assert response.status_code == 422
    assert message in text(response)
    assert ("<html" in response.text) is not htmx
    assert not AvailabilitySettings.objects.exists()


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"notice_hours": 169}, "notice_hours"),
        ({"horizon_weeks": 27}, "horizon_weeks"),
        ({"horizon_weeks": 0}, "horizon_weeks"),
        ({"session_minutes": 40}, "session_minutes"),
        ({"buffer_minutes": 7}, "buffer_minutes"),
    ],
)
def test_the_settings_service_checks_its_bounds_itself(profile, values, field):
    good = {"session_minutes": 50, "buffer_minutes": 10, "notice_hours": 12, "horizon_weeks": 6}
    with pytest.raises(ValidationError) as refused:
        services.availability_settings_update(therapist=profile, **(good | values))
    assert list(refused.value.error_dict) == [field]
    assert not AvailabilitySettings.objects.exists()


# --- Weekly hours ------------------------------------------------------------------------------


def test_adding_hours_without_javascript(therapist_client, profile):
    response = therapist_client.post(WINDOW_ADD, window_data(days=["1", "0"]))

    assert response.status_code == 302
    assert response.url == AVAILABILITY + "#windows"
    added = AvailabilityWindow.objects.get(therapist=profile)
    assert (added.start_time, added.end_time) == (time(9), time(12))
    assert recurrence.serialize(added.rule) == "RRULE:FREQ=WEEKLY;BYDAY=MO,TU"
    page = text(therapist_client.get(response.url))
    assert "Hours added." in page
    assert "Monday, Tuesday · 09:00–12:00" in page


def test_adding_hours_with_htmx_lists_them_and_resets_the_form(therapist_client):
    response = therapist_client.post(
        WINDOW_ADD, window_data(days=["2"], start="13:35", end="18:00"), headers=HTMX
    )

    assert response.status_code == 200
    body = text(response)
    assert "<html" not in body
    assert '<div id="windows-body">' in body
    assert "Wednesday · 13:35–18:00" in body
    assert '<div id="windows-status" hx-swap-oob="innerHTML">' in body
    assert "Hours added." in body
    assert 'name="start" value="13:35"' not in body  # a fresh form for the next hours


def test_the_slot_engine_reads_the_added_hours(profile):
    added = window(profile, days=(0, 2), start="09:00", end="10:00")
    assert availability_selectors.window_weekdays(added.rule) == {0, 2}
    saved = AvailabilityWindow.objects.get(pk=added.pk)
    assert saved.rule.rrules[0].byday == [recurrence.MO, recurrence.WE]
    assert saved.rule.dtstart is None


@pytest.mark.parametrize("htmx", [False, True])
@pytest.mark.parametrize(
    ("data", "message"),
    [
        (window_data(days=[]), "Choose at least one day."),
        (window_data(days=["7"]), "Select a valid choice."),
        (window_data(start="12:00", end="09:00"), "The end comes after the start"),
        (window_data(start="09:00", end="09:00"), "The end comes after the start"),
        (window_data(start="09:03"), "Use a time on a 5-minute mark"),
        (window_data(end="25:00"), "Enter a valid time."),
        (window_data(start=""), "This field is required."),
    ],
)
def test_bad_hours_are_refused_and_nothing_is_saved(therapist_client, data, message, htmx):
    response = therapist_client.post(WINDOW_ADD, data, headers=HTMX if htmx else {})

    assert response.status_code == 422
    assert message in text(response)
    assert not AvailabilityWindow.objects.exists()


def test_the_hours_service_reports_every_mistake_at_once(profile):
    with pytest.raises(ValidationError) as refused:
        services.availability_window_add(
            therapist=profile, weekdays=[], start=time(12), end=time(9, 2)
        )
    assert {
        field: [e.code for e in errors] for field, errors in refused.value.error_dict.items()
    } == {
        "weekdays": ["required"],
        "end": ["grid"],
    }
    with pytest.raises(ValidationError) as refused:
        services.availability_window_add(
            therapist=profile, weekdays=[8], start=time(12), end=time(9)
        )
    assert sorted(refused.value.error_dict) == ["end", "weekdays"]
    assert not AvailabilityWindow.objects.exists()


def test_hours_overlapping_others_on_a_shared_day_are_refused(therapist_client, profile):
    window(profile, days=(0, 4), start="09:00", end="12:00")

    response = therapist_client.post(
        WINDOW_ADD, window_data(days=["2", "4"], start="11:00", end="13:00"), headers=HTMX
    )

    assert response.status_code == 422
    assert "This overlaps your hours on Friday, 09:00–12:00." in text(response)
    assert 'role="alert"' in response.text
    assert 'name="start" value="11:00"' in response.text  # what was typed stays
    assert AvailabilityWindow.objects.count() == 1


def test_hours_back_to_back_or_on_other_days_are_fine(profile):
    window(profile, days=(0,), start="09:00", end="12:00")
    window(profile, days=(0,), start="12:00", end="13:00")
    window(profile, days=(1,), start="10:00", end="11:00")
    window(profile, days=(0,), start="08:00", end="09:00")
    assert AvailabilityWindow.objects.count() == 4


def test_another_therapists_hours_never_clash(profile, other_therapist):
    window(other_therapist.therapist_profile, days=(0,))
    window(profile, days=(0,))
    assert AvailabilityWindow.objects.count() == 2


def test_the_list_is_by_first_day_then_time(therapist_client, profile):
    window(profile, days=(2,), start="09:00", end="10:00")
    window(profile, days=(0, 3), start="14:00", end="15:00")
    window(profile, days=(0,), start="08:00", end="09:00")
    body = text(therapist_client.get(AVAILABILITY))
    assert (
        body.index("Monday · 08:00–09:00")
        < body.index("Monday, Thursday · 14:00–15:00")
        < body.index("Wednesday · 09:00–10:00")
    )


def test_removing_hours(therapist_client, profile):
    kept = window(profile, days=(1,))
    gone = window(profile, days=(0,))

    url = reverse("practice_window_remove", kwargs={"pk": gone.pk})
    response = therapist_client.post(url)

    assert response.url == AVAILABILITY + "#windows"
    assert list(AvailabilityWindow.objects.all()) == [kept]
    assert "Hours removed." in text(therapist_client.get(response.url))


def test_removing_hours_with_htmx(therapist_client, profile):
    gone = window(profile, days=(0,))

    url = reverse("practice_window_remove", kwargs={"pk": gone.pk})
    response = therapist_client.post(url, headers=HTMX)

    assert response.status_code == 200
    assert "Hours removed." in response.text
    assert "No weekly hours yet" in response.text
    assert not AvailabilityWindow.objects.exists()


def test_another_therapists_hours_cannot_be_removed(profile, other_therapist):
    theirs = window(other_therapist.therapist_profile)
    client = client_for(profile.user)

    url = reverse("practice_window_remove", kwargs={"pk": theirs.pk})
    assert client.post(url).status_code == 404
    assert client.post(url, headers=HTMX).status_code == 404
    assert AvailabilityWindow.objects.get() == theirs
    with pytest.raises(AvailabilityWindow.DoesNotExist):
        services.availability_window_remove(therapist=profile, window_id=theirs.pk)


def test_removing_a_window_is_a_post(therapist_client, profile):
    mine = window(profile)
    url = reverse("practice_window_remove", kwargs={"pk": mine.pk})
    assert therapist_client.get(url).status_code == 405
    assert AvailabilityWindow.objects.exists()


# --- Time off ----------------------------------------------------------------------------------


def test_adding_time_off_without_javascript(therapist_client, profile):
    response = therapist_client.post(
        TIME_OFF_ADD, {"first_day": "2030-04-08", "last_day": "2030-04-12"}
    )

    assert response.url == AVAILABILITY + "#time-off"
    added = TimeOff.objects.get(therapist=profile)
    assert (added.first_day, added.last_day) == (date(2030, 4, 8), date(2030, 4, 12))
    page = text(therapist_client.get(response.url))
    assert "Time off added." in page
    assert "Monday 8 April 2030 to Friday 12 April 2030" in page


def test_adding_a_single_day_off_today_with_htmx(therapist_client, profile):
    response = therapist_client.post(
        TIME_OFF_ADD, {"first_day": "2030-03-04", "last_day": "2030-03-04"}, headers=HTMX
    )

    assert response.status_code == 200
    body = text(response)
    assert "<html" not in body
    assert '<div id="time-off-body">' in body
    assert "Monday 4 March 2030" in body
    assert " to " not in body.split("Monday 4 March 2030")[1][:5]
    assert '<div id="time-off-status" hx-swap-oob="innerHTML">' in body
    assert "Time off added." in body
    assert TimeOff.objects.get().first_day == TODAY


def test_today_is_the_therapists_today(therapist, therapist_client, clock):
    """At 01:00 UTC on 5 March it is still 4 March in New York: 4 March is not past there."""
    therapist.time_zone = "America/New_York"
    therapist.save()
    clock.move_to(datetime(2030, 3, 5, 1, 0, tzinfo=UTC))

    response = therapist_client.post(
        TIME_OFF_ADD, {"first_day": "2030-03-04", "last_day": "2030-03-04"}
    )

    assert response.status_code == 302
    assert TimeOff.objects.get().first_day == date(2030, 3, 4)


@pytest.mark.parametrize("htmx", [False, True])
@pytest.mark.parametrize(
    ("first", "last", "message"),
    [
        ("2030-04-12", "2030-04-08", "The last day is on or after the first day."),
        ("2030-03-03", "2030-03-05", "Time off starts today or later."),
        ("2029-12-24", "2029-12-31", "Time off starts today or later."),
        ("2030-02-30", "2030-03-05", "Enter a valid date."),
        ("", "2030-03-05", "This field is required."),
    ],
)
def test_bad_time_off_is_refused_and_nothing_is_saved(therapist_client, first, last, message, htmx):
    response = therapist_client.post(
        TIME_OFF_ADD, {"first_day": first, "last_day": last}, headers=HTMX if htmx else {}
    )

    assert response.status_code == 422
    assert message in text(response)
    assert not TimeOff.objects.exists()


def test_time_off_overlapping_other_time_off_is_refused(therapist_client, profile):
    time_off(profile, date(2030, 4, 8), date(2030, 4, 12))

    response = therapist_client.post(
        TIME_OFF_ADD, {"first_day": "2030-04-12", "last_day": "2030-04-15"}, headers=HTMX
    )

    assert response.status_code == 422
    assert ("You already have time off from Monday 8 April 2030 to Friday 12 April 2030.") in text(
        response
    )
    assert TimeOff.objects.count() == 1


def test_only_upcoming_time_off_is_listed(therapist_client, profile, clock):
    time_off(profile, date(2030, 3, 10), date(2030, 3, 11))
    time_off(profile, date(2030, 3, 20), date(2030, 3, 20))
    clock.move_to(datetime(2030, 3, 15, 9, 0, tzinfo=UTC))

    body = text(therapist_client.get(AVAILABILITY))

    assert "Wednesday 20 March 2030" in body
    assert "Sunday 10 March 2030" not in body


def test_removing_time_off(therapist_client, profile):
    gone = time_off(profile, date(2030, 4, 8), date(2030, 4, 12))

    url = reverse("practice_time_off_remove", kwargs={"pk": gone.pk})
    response = therapist_client.post(url, headers=HTMX)

    assert response.status_code == 200
    assert "Time off removed." in response.text
    assert not TimeOff.objects.exists()


def test_another_therapists_time_off_cannot_be_removed(therapist_client, other_therapist):
    theirs = time_off(other_therapist.therapist_profile, date(2030, 4, 8), date(2030, 4, 12))

    url = reverse("practice_time_off_remove", kwargs={"pk": theirs.pk})
    assert therapist_client.post(url).status_code == 404
    assert therapist_client.post(url, headers=HTMX).status_code == 404
    assert TimeOff.objects.get() == theirs


# --- Who may see these pages -------------------------------------------------------------------


def _every_request(profile) -> list[tuple[str, str, dict]]:
    mine = window(profile)
    days_off = time_off(profile, date(2030, 4, 8), date(2030, 4, 12))
    return [
        ("get", AVAILABILITY, {}),
        ("get", CALENDAR, {}),
        ("get", CALENDAR + "?week=2030-03-06", {}),
        ("post", SETTINGS, SETTINGS_DATA),
        ("post", WINDOW_ADD, window_data(days=["3"])),
        ("post", reverse("practice_window_remove", kwargs={"pk": mine.pk}), {}),
        ("post", TIME_OFF_ADD, {"first_day": "2030-05-01", "last_day": "2030-05-02"}),
        ("post", reverse("practice_time_off_remove", kwargs={"pk": days_off.pk}), {}),
    ]


@pytest.mark.parametrize("who", ["patient", "unvetted_therapist", "staff"])
def test_anyone_but_an_approved_therapist_gets_404_everywhere(request, profile, who):
    client = client_for(request.getfixturevalue(who))
    for method, url, data in _every_request(profile):
        for headers in ({}, HTMX):
            response = getattr(client, method)(url, data, headers=headers)
            assert response.status_code == 404, (method, url)
    assert AvailabilityWindow.objects.count() == 1
    assert TimeOff.objects.count() == 1
    assert not AvailabilitySettings.objects.exists()


def test_a_suspended_therapist_gets_404(therapist, profile):
    profile.vetting_status = "suspended"
    profile.save()
    assert client_for(therapist).get(AVAILABILITY).status_code == 404
    assert client_for(therapist).get(CALENDAR).status_code == 404


def test_visitors_are_sent_to_log_in(client, profile):
    for method, url, data in _every_request(profile):
        response = getattr(client, method)(url, data)
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))


def test_another_therapist_sees_only_their_own_availability(profile, other_therapist):
    window(profile, days=(5,), start="07:00", end="08:00")
    time_off(profile, date(2030, 4, 8), date(2030, 4, 12))

    body = text(client_for(other_therapist).get(AVAILABILITY))

    assert "Saturday · 07:00–08:00" not in body
    assert "April 2030" not in body
    assert "No weekly hours yet" in body


# --- The week calendar -------------------------------------------------------------------------


def test_the_calendar_shows_sessions_in_the_therapists_zone(
    therapist, therapist_client, patient, other_therapist, other_patient
):
    """14:00 UTC on a January Tuesday is 09:00 in New York (UTC-5 in winter)."""
    therapist.time_zone = "America/New_York"
    therapist.save()
    session(patient, therapist, datetime(2030, 1, 8, 14, 0, tzinfo=UTC), modality="phone")
    session(other_patient, other_therapist, datetime(2030, 1, 8, 16, 0, tzinfo=UTC))

    page = therapist_client.get(CALENDAR, {"week": "2030-01-09"})

    assert page.status_code == 200
    body = text(page)
    assert "Times are in America/New_York." in body
    assert "Week of 7 January 2030 to 13 January 2030" in body
    assert "One session booked this week." in body
    tuesday = body.split("Tuesday 8 January")[1].split("Wednesday 9 January")[0]
    assert "09:00</time>–09:50" in tuesday
    assert "50 min · Robin · Phone (audio only)" in tuesday
    assert 'datetime="2030-01-08T09:00:00-05:00"' in tuesday
    assert "Kim" not in body  # the other therapist's patient
    assert "11:00" not in body


def test_the_calendar_follows_the_clock_change(therapist_client, patient, therapist):
    """Paris moves to summer time on Sunday 31 March 2030: 09:00 is 08:00 UTC before and
    07:00 UTC after, and both show as 09:00."""
    session(patient, therapist, datetime(2030, 3, 30, 8, 0, tzinfo=UTC))
    session(patient, therapist, datetime(2030, 4, 1, 7, 0, tzinfo=UTC))

    before = text(therapist_client.get(CALENDAR, {"week": "2030-03-30"}))
    after = text(therapist_client.get(CALENDAR, {"week": "2030-04-01"}))

    assert "09:00</time>" in before.split("Saturday 30 March")[1]
    assert "09:00</time>" in after.split("Monday 1 April")[1]


def test_a_session_late_on_sunday_in_utc_belongs_to_the_local_week(
    therapist, therapist_client, patient
):
    """23:30 UTC on Sunday 10 March is 00:30 on Monday 11 March in Paris: next week there."""
    session(patient, therapist, datetime(2030, 3, 10, 23, 30, tzinfo=UTC))

    this_week = text(therapist_client.get(CALENDAR))
    next_week = text(therapist_client.get(CALENDAR, {"week": "2030-03-11"}))

    assert "No sessions booked this week." in this_week
    assert "00:30</time>" in next_week.split("Monday 11 March")[1]


def test_cancelled_sessions_are_struck_through_and_not_counted(
    therapist_client, patient, therapist
):
    session(
        patient,
        therapist,
        datetime(2030, 3, 6, 9, 0, tzinfo=UTC),
        status=Appointment.Status.CANCELLED,
        cancelled_at=NOW,
    )

    body = text(therapist_client.get(CALENDAR))

    wednesday = body.split("Wednesday 6 March")[1]
    assert '<s class="text-body-secondary"><time datetime="2030-03-06T10:00:00+01:00">' in (
        wednesday
    )
    assert "Cancelled" in wednesday
    assert "No sessions booked this week." in body


def test_the_calendar_shows_weekly_hours_and_time_off(therapist_client, profile):
    window(profile, days=(0, 2), start="09:00", end="12:00")
    window(profile, days=(0,), start="14:00", end="18:00")
    time_off(profile, date(2030, 3, 6), date(2030, 3, 7))

    body = text(therapist_client.get(CALENDAR))

    monday = body.split("Monday 4 March")[1].split("Tuesday 5 March")[0]
    tuesday = body.split("Tuesday 5 March")[1].split("Wednesday 6 March")[0]
    wednesday = body.split("Wednesday 6 March")[1].split("Thursday 7 March")[0]
    thursday = body.split("Thursday 7 March")[1].split("Friday 8 March")[0]
    assert "Hours offered: 09:00–12:00, 14:00–18:00" in monday
    assert "Today" in monday
    assert "Hours offered" not in tuesday
    assert "Nothing planned." in tuesday
    assert "Time off" in wednesday
    assert "09:00–12:00 (not offered: time off)" in wednesday
    assert "Time off" in thursday
    assert 'aria-current="date"' in body.split("Monday 4 March")[0].rsplit("<section", 1)[1]


def test_rules_the_editor_does_not_write_are_read_as_booking_reads_them(therapist_client, profile):
    """Every other Monday from 4 March 2030: on the calendar on 4 and 18 March, not the 11th."""
    AvailabilityWindowFactory(
        therapist=profile,
        rule=recurrence.Recurrence(
            dtstart=datetime(2030, 3, 4),
            rrules=[recurrence.Rule(recurrence.WEEKLY, interval=2, byday=[recurrence.MO])],
        ),
        start_time=time(9),
        end_time=time(12),
    )

    def monday(week: str) -> str:
        body = text(therapist_client.get(CALENDAR, {"week": week}))
        return body.split("Tuesday")[0]

    assert "Hours offered: 09:00–12:00" in monday("2030-03-04")
    assert "Hours offered" not in monday("2030-03-11")
    assert "Hours offered: 09:00–12:00" in monday("2030-03-18")


def test_an_empty_week_says_so_and_links_to_the_availability(therapist_client):
    body = text(therapist_client.get(CALENDAR))
    assert "No sessions booked this week." in body
    assert "No hours offered this week" in body
    assert f'href="{AVAILABILITY}"' in body


def test_week_navigation(therapist_client):
    page = text(therapist_client.get(CALENDAR, {"week": "2030-03-09"}))  # a Saturday

    assert "Week of 4 March 2030 to 10 March 2030" in page
    assert f'href="{CALENDAR}?week=2030-02-25" rel="prev"' in page
    assert f'href="{CALENDAR}?week=2030-03-11" rel="next"' in page
    assert 'aria-current="page">This week' in page

    later = text(therapist_client.get(CALENDAR, {"week": "2030-03-11"}))
    assert "Week of 11 March 2030 to 17 March 2030" in later
    assert f'href="{CALENDAR}?week=2030-03-04">This week' in later
    assert "Today" not in later


def test_without_a_week_the_calendar_shows_this_week(therapist_client):
    assert "Week of 4 March 2030 to 10 March 2030" in text(therapist_client.get(CALENDAR))


@pytest.mark.parametrize(
    "week", ["tomorrow", "2030-13-01", "2030-02-30", "20300304", "2030-3-4", "0001-01-01", ""]
)
def test_a_bad_week_is_404(therapist_client, week):
    assert therapist_client.get(CALENDAR, {"week": week}).status_code == 404


def test_the_calendar_reads_in_constant_queries(therapist_client, therapist, patient, profile):
    window(profile, days=(0, 1, 2, 3, 4))
    time_off(profile, date(2030, 3, 8), date(2030, 3, 8))

    def queries_with(count: int) -> int:
        Appointment.objects.all().delete()
        start = datetime(2030, 3, 4, 8, 0, tzinfo=UTC)
        for index in range(count):
            session(patient, therapist, start + timedelta(hours=index * 6))
        with CaptureQueriesContext(connection) as captured:
            page = therapist_client.get(CALENDAR)
        assert page.status_code == 200
        assert page.text.count("Robin") == count
        return len(captured)

    assert queries_with(2) == queries_with(20)


def test_the_pages_speak_the_therapists_language(therapist, therapist_client):
    therapist.language = "fr"
    therapist.save()
    body = text(therapist_client.get(CALENDAR))
    assert '<html lang="fr">' in body
    assert "Lundi 4 mars" in body  # the day and month names are translated
    assert therapist_client.get(AVAILABILITY).status_code == 200


def test_the_dashboard_links_to_the_calendar_and_the_availability(therapist_client):
    body = therapist_client.get(reverse("home")).text
    assert f'href="{CALENDAR}"' in body
    assert f'href="{AVAILABILITY}"' in body
