"""Loading the demo data: each persona of ``data.py`` made to exist as the platform would have
made them — signed up, applied, vetted, questioned, matched, writing, booking, meeting, taking
notes, checking in — through the apps' own services, at the moments their story says (counted
back from when the demo is loaded), so that every date in a persona's history comes after the
one before.

Loading again changes nothing: a persona already there is left as the demo (or whoever clicked
through it) left them, except what the printed logins promise (a password, an active and
verified account, a second factor, a therapist's vetting status) and files lost from the disk.
Only ``manage.py demo_data`` calls it, and only with ``DEBUG=true``.

Where no service exists, the docstring of the function writing the rows says so: the accounts
of staff (an operator makes them), the email addresses allauth verifies, the authenticator apps
allauth activates, the reset of a vetting trail clicked through in the demo, files restored in
place.
"""

import uuid
from datetime import datetime, time, timedelta

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from accounts import services as accounts_services
from accounts.models import TherapistDocument, TherapistProfile, User
from core import crypto, uploads
from matching import selectors as matching_selectors
from matching import services as matching_services
from matching.models import Match, Worksheet
from matching.services import goals as goal_services
from matching.services import worksheets as worksheet_services
from messaging import services as messaging_services
from scheduling import selectors as scheduling_selectors
from scheduling import services as scheduling_services
from scheduling.models import Appointment
from scheduling.services.notes import session_note_save
from sessions_video import services as room_services
from teletherapy.demo import data, files
from teletherapy.demo.data import Approved, DemoLogins, DemoPatient, DemoTherapist, Status

WEEKDAYS = [0, 1, 2, 3, 4]  # Monday to Friday
HOURS = [(time(9), time(12)), (time(14), time(18))]  # in the therapist's own zone


@transaction.atomic
def demo_data_load(*, now: datetime | None = None) -> DemoLogins:
    """Create or refresh every demo account; running it again changes nothing more."""
    now = now or timezone.now()
    logins = DemoLogins()
    staff = _person(
        email=data.STAFF_EMAIL,
        role=User.Role.STAFF,
        password=data.STAFF_PASSWORD,
        language="en",
        time_zone="Europe/Paris",
        joined=now - timedelta(days=data.STAFF_JOINED_DAYS_AGO),
    )
    _ensure_totp(staff)
    logins.add("staff", data.STAFF_EMAIL, data.STAFF_PASSWORD, "two-factor")

    for demo, colour in zip(data.THERAPISTS, files.PHOTO_COLOURS, strict=True):
        _therapist(demo, staff=staff, colour=colour, now=now)
        logins.add("therapist", demo.email, data.THERAPIST_PASSWORD, _therapist_note(demo))

    _lea(now=now)
    _hugo(now=now)
    _tomas(now=now)
    for patient in data.PATIENTS:
        logins.add("patient", patient.email, data.PATIENT_PASSWORD, _patient_note(patient))
    return logins


# --- People ------------------------------------------------------------------------------------


def _person(
    *,
    email: str,
    role: str,
    password: str,
    language: str,
    time_zone: str,
    joined: datetime,
    nickname: str = "",
) -> User:
    """An active account with a verified address and this password: signed up through
    ``accounts.services.user_register`` the first time (staff: made by an operator, as
    ``createsuperuser`` does; there is no sign-up for staff). The verified address is
    allauth's own record, as if the link in the verification email had been followed."""
    user = User.objects.filter(email=email).first()
    if user is None:
        if role == User.Role.STAFF:
            user = User.objects.create_superuser(
                email, password, language=language, time_zone=time_zone, date_joined=joined
            )
        else:
            user = User(email=email)
            user.set_password(password)
            accounts_services.user_register(
                user=user,
                role=role,
                language=language,
                time_zone=time_zone,
                nickname=nickname,
                now=joined,
            )
    else:
        # Someone may have changed these in the demo: the printed logins must stay true.
        changed = []
        if not user.is_active:
            user.is_active = True
            changed.append("is_active")
        if not user.check_password(password):
            user.set_password(password)
            changed.append("password")
        if changed:
            user.save(update_fields=changed)
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    # As at sign-up: the legal documents in effect accepted (a later version is asked at login).
    accounts_services.legal_accept_current(user=user)
    return user


def _ensure_totp(user: User) -> None:
    """The demo's authenticator app (allauth's activation, as the set-up page does it)."""
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, data.DEMO_TOTP_SECRET)
        RecoveryCodes.activate(user)


# --- Therapists --------------------------------------------------------------------------------


def _therapist(demo: DemoTherapist, *, staff: User, colour: str, now: datetime) -> None:
    user = _person(
        email=demo.email,
        role=User.Role.THERAPIST,
        password=data.THERAPIST_PASSWORD,
        language=demo.ui_language,
        time_zone=demo.time_zone,
        joined=now - timedelta(days=demo.joined_days_ago),
    )
    _ensure_totp(user)
    profile = user.therapist_profile
    if not _vetting_as_told(profile, demo):
        _vetting_restart(profile)
        _application(profile, demo, colour=colour, now=now)
        _vetting(profile, demo, staff=staff)
    _restore_lost_files(TherapistProfile.objects.get(pk=profile.pk), demo, colour=colour)
    _ensure_availability(profile)
    if demo.serves_citizens_abroad:
        matching_services.abroad_practice_set(
            therapist=profile,
            serves_citizens_abroad=True,
            now=profile.user.date_joined + data.APPLICATION_STEPS["approved"],
        )


def _trail(demo: DemoTherapist) -> list[tuple[str, str]]:
    trail: list[tuple[str, str]] = [(Status.DRAFT, Status.SUBMITTED)]
    if demo.status == Approved:
        trail.append((Status.SUBMITTED, Approved))
    return trail


def _vetting_as_told(profile: TherapistProfile, demo: DemoTherapist) -> bool:
    recorded = list(
        profile.vetting_decisions.order_by("created_at", "pk").values_list(
            "from_status", "to_status"
        )
    )
    return profile.vetting_status == demo.status and recorded == _trail(demo)


def _vetting_restart(profile: TherapistProfile) -> None:
    """Back to a draft with no history, when the demo was clicked through (Sam approved, say)
    so that the printed logins stay true. No service takes an application back: staff never
    may; the demo resets its own rows."""
    profile.vetting_decisions.all().delete()
    TherapistProfile.objects.filter(pk=profile.pk).update(
        vetting_status=Status.DRAFT, vetting_status_changed_at=None
    )


def _application(
    profile: TherapistProfile, demo: DemoTherapist, *, colour: str, now: datetime
) -> None:
    """Each step of the application page, as the therapist fills it in, a day after joining:
    about them (with a photo), their practice, credentials, a degree and a license scan."""
    profile = TherapistProfile.objects.select_related("user").get(pk=profile.pk)
    filled_in = profile.user.date_joined + data.APPLICATION_STEPS["documents"]
    has_photo = _stored(profile.photo)
    accounts_services.therapist_about_update(
        profile=profile,
        display_name=demo.display_name,
        gender=demo.gender,
        time_zone=demo.time_zone,
        languages=list(demo.languages),
        bios=demo.bios,
        photo=None
        if has_photo
        else SimpleUploadedFile(
            "photo.jpg", files.demo_photo(name=demo.display_name, colour=colour), "image/jpeg"
        ),
    )
    accounts_services.therapist_practice_update(
        profile=profile,
        specialities=[str(code) for code in demo.specialities],
        approaches=[str(code) for code in demo.approaches],
        modalities=[str(code) for code in demo.modalities],
        faith=demo.faith,
        caseload_limit=profile.caseload_limit,
        accepting_new_patients=demo.status == Approved,
    )
    c = demo.credentials
    today = timezone.localdate(now)
    accounts_services.therapist_credentials_update(
        profile=profile,
        degree_level=c.degree_level,
        degree_field=c.degree_field,
        degree_institution=c.degree_institution,
        degree_year=c.degree_year,
        license_number=c.license_number,
        license_issuer=c.license_issuer,
        license_country=c.country,
        # Valid for a few years from whenever the demo is loaded, so the expiry sweep never
        # suspends a demo therapist.
        license_expiry=today.replace(year=today.year + 3, month=12, day=31),
        licensed_countries=list(c.licensed_countries),
        practising_since=c.practising_since,
        clinical_hours=c.clinical_hours,
    )
    kept = set(profile.documents.values_list("kind", flat=True))
    for kind in TherapistDocument.Kind.values:
        if kind not in kept:
            accounts_services.therapist_document_add(
                profile=profile,
                kind=kind,
                upload=SimpleUploadedFile(
                    files.demo_document_name(demo, kind),
                    files.demo_document(demo, kind),
                    uploads.PDF,
                ),
                now=filled_in,
            )


def _vetting(profile: TherapistProfile, demo: DemoTherapist, *, staff: User) -> None:
    """Sent for review the day after the documents; approved by the demo admin two days later
    (Sam waits for review)."""
    joined = profile.user.date_joined
    accounts_services.therapist_application_submit(
        profile=profile, now=joined + data.APPLICATION_STEPS["submitted"]
    )
    if demo.status == Approved:
        accounts_services.therapist_vetting_decide(
            profile=profile,
            action="approve",
            actor=staff,
            reason=data.APPROVAL_REASON,
            now=joined + data.APPLICATION_STEPS["approved"],
        )


def _restore_lost_files(profile: TherapistProfile, demo: DemoTherapist, *, colour: str) -> None:
    """A photo or scan whose file is gone from the disk (a wiped ``var/``) is drawn again, in
    place: no service rewrites a stored file, and a submitted application is locked."""
    if not _stored(profile.photo):
        photo = files.demo_photo(name=demo.display_name, colour=colour)
        profile.photo.save("photo", ContentFile(crypto.encrypt_bytes(photo)), save=False)
        profile.save(update_fields=["photo"])
    for document in profile.documents.all():
        if _stored(document.file):
            continue
        content = files.demo_document(demo, document.kind)
        document.file.save("document", ContentFile(crypto.encrypt_bytes(content)), save=False)
        document.size = len(content)
        document.save(update_fields=["file", "size"])


def _stored(file: FieldFile) -> bool:
    """Whether the file field names a file that is on the disk."""
    if not file.name:
        return False
    return file.storage.exists(file.name)


def _ensure_availability(profile: TherapistProfile) -> None:
    """Weekday mornings and afternoons in the therapist's own zone, set once (a therapist who
    changed them in the demo keeps their changes)."""
    if profile.availability_windows.exists():
        return
    for start, end in HOURS:
        scheduling_services.availability_window_add(
            therapist=profile, weekdays=WEEKDAYS, start=start, end=end
        )


def _therapist_note(demo: DemoTherapist) -> str:
    languages = "/".join(code for code, _level in demo.languages)
    note = f"{demo.display_name} · {languages}"
    if demo.status != Approved:
        note += " · pending vetting"
    elif data.S.LGBT in demo.specialities:
        note += " · LGBT+ specialised"
    elif demo.faith:
        note += f" · faith-based ({data.Faith(demo.faith).label})"
    return note + " · two-factor"


# --- Patients ----------------------------------------------------------------------------------


def _patient(demo: DemoPatient, *, joined: datetime) -> User:
    return _person(
        email=demo.email,
        role=User.Role.PATIENT,
        password=data.PATIENT_PASSWORD,
        language=demo.ui_language,
        time_zone=demo.time_zone,
        joined=joined,
        nickname=demo.nickname,
    )


def _lea(*, now: datetime) -> None:
    """Léa has worked with a therapist for five weeks: matched the day she signed up, a first
    session held (with its private note), a check-in, and a message waiting for an answer; her
    next session is booked. Told once: a Léa with an intake is left as she is."""
    lea = _patient(data.LEA, joined=now - timedelta(days=data.LEA_JOINED_DAYS_AGO))
    if lea.intakes.exists():
        return
    story = {step: lea.date_joined + after for step, after in data.LEA_STORY.items()}
    matching_services.intake_record(patient=lea, answers=data.LEA.answers, now=story["intake"])
    offer = matching_services.offer_next(request=lea.match_requests.get(), now=story["offer"])
    if offer is None:
        raise RuntimeError("No demo therapist can take Léa: the demo data lost its way.")
    match = matching_services.offer_accept(
        offer_id=offer.pk, therapist=offer.therapist.user, now=story["accepted"]
    )
    _messages(match, data.LEA_FIRST_MESSAGES)
    first = _session(match, booked_at=story["booked"], not_before=story["first_session_from"])
    _held(first)
    session_note_save(
        therapist=match.therapist,
        appointment=first,
        body=data.LEA_FIRST_SESSION_NOTE,
        version=0,
        now=first.ends_at + timedelta(minutes=10),
    )
    ago, phq9, gad7 = data.LEA_CHECKIN
    matching_services.checkin_record(
        patient=lea, phq9_answers=phq9, gad7_answers=gad7, now=now - ago
    )
    ago, body = data.LEA_LATEST_MESSAGE
    _write(match, sender=lea, body=body, at=now - ago, number=len(data.LEA_FIRST_MESSAGES))
    _session(match, booked_at=now, not_before=now + data.LEA_NEXT_SESSION_FROM)
    _between_sessions(match, now=now)


def _between_sessions(match: Match, *, now: datetime) -> None:
    """Léa's goal and sleep diary from her therapist, and a journal page she shared."""
    ago, title, why, target_in, steps, done = data.LEA_GOAL
    goal = goal_services.goal_set(
        match=match,
        title=title,
        why=why,
        target_date=(now + target_in).date(),
        steps=steps,
        today=(now - ago).date(),
        now=now - ago,
    )
    for step in goal.steps.order_by("position")[:done]:
        goal_services.goal_step_mark(step=step, done=True, now=now - ago / 2)
    ago, due_in, note, answers = data.LEA_SLEEP_DIARY
    given = worksheet_services.worksheet_assign(
        match=match,
        worksheet=Worksheet.objects.get(slug="sleep-diary"),
        due_date=(now + due_in).date(),
        note=note,
        today=(now - ago).date(),
        now=now - ago,
    )
    worksheet_services.worksheet_answers_save(assignment=given, answers=answers, now=now)
    ago, body, mood, tags = data.LEA_JOURNAL
    entry = matching_services.journal_entry_write(
        patient=match.patient, body=body, mood=mood, tags=tags, now=now - ago
    )
    matching_services.journal_entry_share(entry=entry, now=now - ago)


def _write(match: Match, *, sender: User, body: str, at: datetime, number: int) -> None:
    messaging_services.message_send(
        conversation=messaging_services.conversation_open(match_id=match.pk),
        sender=sender,
        body=body,
        client_id=uuid.uuid5(uuid.NAMESPACE_URL, f"demo-message-{match.pk}-{number}"),
        now=at,
    )


def _messages(match: Match, messages: list[tuple[str, timedelta, str]]) -> None:
    """A patient and their therapist write to each other (who, how long after the match
    began, what); each reads the other's message soon after."""
    senders = {"patient": match.patient, "therapist": match.therapist.user}
    conversation = messaging_services.conversation_open(match_id=match.pk)
    for number, (who, after, body) in enumerate(messages):
        at = match.started_at + after
        _write(match, sender=senders[who], body=body, at=at, number=number)
        reader = senders["therapist" if who == "patient" else "patient"]
        messaging_services.messages_mark_read(
            conversation=conversation, reader=reader, now=at + timedelta(minutes=20)
        )


def _session(match: Match, *, booked_at: datetime, not_before: datetime) -> Appointment:
    """A video session booked at ``booked_at`` in the therapist's first free time from
    ``not_before``."""
    free = scheduling_selectors.free_slots_between(
        therapist=match.therapist,
        now=booked_at,
        start=not_before,
        end=not_before + timedelta(days=7),
    )
    return scheduling_services.appointment_book(
        patient=match.patient, starts_at=free[0], modality="video", now=booked_at
    )


def _held(appointment: Appointment) -> None:
    """Both came, on time, and stayed the whole session; the room was closed by its sweep."""
    room = room_services.room_for(appointment=appointment)
    patient, therapist = appointment.patient, appointment.therapist.user
    room_services.room_join(room=room, user=patient, now=appointment.starts_at)
    came_in = appointment.starts_at + timedelta(minutes=1)
    room_services.room_join(room=room, user=therapist, now=came_in)
    room_services.room_admit(room=room, user=therapist, now=came_in)  # from the waiting room
    room_services.room_leave(room=room, user=therapist, now=appointment.ends_at)
    room_services.room_leave(room=room, user=patient, now=appointment.ends_at)
    closes_after = timedelta(minutes=settings.SESSION_ROOM_CLOSES_MINUTES_AFTER + 1)
    room_services.rooms_close(now=appointment.ends_at + closes_after)


def _hugo(*, now: datetime) -> None:
    """Hugo lives in Tokyo and wants a therapist who speaks French: matched with one licensed
    in France who sees French people abroad. Told once: a Hugo with an intake is left as he is."""
    hugo = _patient(data.HUGO, joined=now - timedelta(days=data.HUGO_JOINED_DAYS_AGO))
    if hugo.intakes.exists():
        return
    story = {step: hugo.date_joined + after for step, after in data.HUGO_STORY.items()}
    matching_services.intake_record(patient=hugo, answers=data.HUGO.answers, now=story["intake"])
    offer = matching_services.offer_next(request=hugo.match_requests.get(), now=story["offer"])
    if offer is None:
        raise RuntimeError("No demo therapist can take Hugo: the jurisdiction rule changed?")
    match = matching_services.offer_accept(
        offer_id=offer.pk, therapist=offer.therapist.user, now=story["accepted"]
    )
    _messages(match, data.HUGO_MESSAGES)


def _tomas(*, now: datetime) -> None:
    """Tomás has just filled in the questionnaire: an offer is out to a therapist who speaks
    German. Told once: a Tomás with an intake is left as he is."""
    tomas = _patient(data.TOMAS, joined=now - timedelta(minutes=data.TOMAS_JOINED_MINUTES_AGO))
    if tomas.intakes.exists():
        return
    story = {step: tomas.date_joined + after for step, after in data.TOMAS_STORY.items()}
    matching_services.intake_record(patient=tomas, answers=data.TOMAS.answers, now=story["intake"])
    matching_services.offer_next(request=tomas.match_requests.get(), now=story["offer"])


def _patient_note(demo: DemoPatient) -> str:
    state = matching_selectors.patient_matching_state(patient=User.objects.get(email=demo.email))
    if state["match"] is not None:
        return f"nickname {demo.nickname} · matched with {state['match'].therapist.display_name}"
    request = state["request"]
    offer = request.offers.filter(status="pending").first() if request else None
    if offer is not None:
        return f"nickname {demo.nickname} · waiting: offer out to {offer.therapist.display_name}"
    return f"nickname {demo.nickname}"
