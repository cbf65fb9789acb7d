"""The benchmark's users, created through the app's own code and logged in.

``python -m bench.project_user create`` prints a logged-in patient's session; ``pairs TAG COUNT``
prints ``COUNT`` patients each in a conversation with their own therapist. Run with the project's
environment (cwd: the project root), in its own process so that the bench itself never imports
Django.
"""

import json
import secrets
import sys

import django


def create() -> dict[str, str | bool]:
    from django.conf import settings
    from django.test import Client

    from accounts.models import PatientProfile, User
    from accounts.services import legal_accept_current

    email = f"bench-{secrets.token_hex(6)}@example.invalid"
    patient = User.objects.create_user(
        email=email, password=secrets.token_urlsafe(), role="patient", time_zone="UTC"
    )
    PatientProfile.objects.create(user=patient, nickname="Bench")
    legal_accept_current(user=patient)  # or every page asks them first
    client = Client()
    client.force_login(patient)
    cookie_name = settings.SESSION_COOKIE_NAME
    return {
        "email": email,
        "cookie_name": cookie_name,
        "session_key": client.cookies[cookie_name].value,
        "debug": settings.DEBUG,
    }


def delete(email: str, session_key: str) -> None:
    from importlib import import_module

    from django.conf import settings

    from accounts.models import User

    import_module(settings.SESSION_ENGINE).SessionStore(session_key).delete()
    User.objects.filter(email=email).delete()


def _logged_in(user) -> str:
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _pair_email_prefix(tag: str) -> str:
    return f"bench-{tag}-"


def practice_email(tag: str, user: str) -> str:
    """The email of ``practice_create``'s therapist (``user="therapist"``), or of the patient of
    its busiest conversation (``"patient"``)."""
    who = "therapist" if user == "therapist" else "patient-0"
    return f"{_pair_email_prefix(tag)}{who}@example.invalid"


def _signed_up(role: str, email: str, nickname: str = ""):
    """An account signed up as the sign-up form would (``user_register``; a partner's as an
    invitation makes it, ``partner_register``). No password: hashing hundreds would take
    longer than the benchmark."""
    from accounts.models import User
    from accounts.services import legal_accept_current, partner_register, user_register

    if role == User.Role.PARTNER:
        user = partner_register(
            email=email, password="", language="en", time_zone="UTC", documents=[]
        )
        user.set_unusable_password()
        user.save(update_fields=["password"])
        legal_accept_current(user=user)
        return user
    user = User(email=email)
    user.set_unusable_password()
    user = user_register(user=user, role=role, language="en", time_zone="UTC", nickname=nickname)
    legal_accept_current(user=user)  # as the form's ticks would: or every page asks them first
    return user


def _therapist_signed_up(email: str, display_name: str):
    """A therapist approved, with an authenticator app, as every therapist page and socket
    asks. The approval is set directly: the vetting workflow's documents are not measured."""
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from accounts.models import TherapistProfile, User

    therapist = _signed_up(User.Role.THERAPIST, email)
    profile = therapist.therapist_profile
    profile.display_name = display_name
    profile.vetting_status = TherapistProfile.VettingStatus.APPROVED
    profile.save(update_fields=["display_name", "vetting_status"])
    TOTP.activate(therapist, generate_totp_secret())
    RecoveryCodes.activate(therapist)
    return therapist


def pairs_create(tag: str, count: int) -> list[dict[str, int | str]]:
    """``count`` patients, each in the open conversation of an active match with a therapist of
    their own."""
    from django.db import transaction

    from accounts.models import User
    from matching.models import Match
    from messaging.services import conversation_open

    made = []
    prefix = _pair_email_prefix(tag)
    for n in range(count):
        with transaction.atomic():
            patient = _signed_up(
                User.Role.PATIENT, f"{prefix}patient-{n}@example.invalid", nickname=f"Bench {n}"
            )
            therapist = _therapist_signed_up(
                f"{prefix}therapist-{n}@example.invalid", f"Bench therapist {n}"
            )
            match = Match.objects.create(patient=patient, therapist=therapist.therapist_profile)
            conversation = conversation_open(match_id=match.pk)
        made.append(
            {
                "conversation": conversation.pk,
                "patient": patient.pk,
                "patient_session": _logged_in(patient),
                "therapist_session": _logged_in(therapist),
            }
        )
    return made


def rooms_create(tag: str, count: int) -> list[dict[str, int | str]]:
    """``pairs_create``'s pairs, each with a video session starting in 5 minutes, so that its
    room is open: the pair's ``token`` is the room's."""
    from datetime import timedelta

    from django.utils import timezone

    from accounts.choices import Modality
    from messaging.models import Conversation
    from scheduling.models import Appointment
    from sessions_video.services import room_for

    made = pairs_create(tag, count)
    starts_at = timezone.now() + timedelta(minutes=5)
    for pair in made:
        match = Conversation.objects.select_related("match").get(pk=pair["conversation"]).match
        appointment = Appointment.objects.create(
            match=match,
            therapist_id=match.therapist_id,
            patient_id=match.patient_id,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=50),
            modality=Modality.VIDEO,
        )
        pair["token"] = room_for(appointment=appointment).token
    return made


def couples_rooms_create(tag: str, count: int) -> list[dict[str, int | str]]:
    """``2 * count`` rooms open now, their guests let in from the waiting room: ``count`` of
    two (a pair's ``token``), then ``count`` couples sessions, each with its partner's account
    and logged-in ``partner_session`` (their accepted invitation written directly)."""
    import secrets
    from datetime import timedelta

    from django.utils import timezone

    from accounts.models import User
    from scheduling.models import Appointment, PartnerInvitation
    from scheduling.selectors.partners import token_digest
    from sessions_video.models import Room

    made = rooms_create(tag, 2 * count)
    now = timezone.now()
    Room.objects.filter(token__in=[pair["token"] for pair in made]).update(
        admitted_at=now, partner_admitted_at=now
    )
    prefix = _pair_email_prefix(tag)
    for n, pair in enumerate(made[count:]):
        partner = _signed_up(User.Role.PARTNER, f"{prefix}partner-{n}@example.invalid")
        appointment = Appointment.objects.get(room__token=pair["token"])
        PartnerInvitation.objects.create(
            appointment=appointment,
            email=partner.email,
            token_hash=token_digest(secrets.token_urlsafe(32)),
            created_at=now,
            expires_at=now + timedelta(hours=1),
            accepted_at=now,
            partner=partner,
            nickname=f"Partner {n}",
        )
        pair["partner_session"] = _logged_in(partner)
        pair["couples"] = True
    return made


# A practice's history: how far back its matches started, its sessions (four a day from 9:00,
# 50 minutes, every fifth cancelled by the patient), its check-ins and its unread messages.
PRACTICE_DAYS = 120
SESSIONS_A_DAY = 4
CHECKINS_WEEKS_AGO = (12, 8, 4)
UNREAD_LAST = 3  # the latest messages of each conversation, not yet read by their recipient


def _screening_answers(items: int, seed: int) -> list[int]:
    """Varied answers, none above "more than half the days" (2): no safety flag is raised."""
    return [(seed + item) % 3 for item in range(items)]


def _practice_appointments(matches: list, count: int, now) -> list:
    """``count`` sessions, half past and half to come, round the patients in turn, never two at
    once (the exclusion constraints on PostgreSQL)."""
    from datetime import timedelta

    from accounts.choices import Modality
    from scheduling.models import Appointment

    first = (now - timedelta(days=count // (2 * SESSIONS_A_DAY))).replace(hour=9)
    appointments = []
    for n in range(count):
        match = matches[n % len(matches)]
        day, slot = divmod(n, SESSIONS_A_DAY)
        starts_at = first + timedelta(days=day, hours=2 * slot)
        cancelled = n % 5 == 4
        appointments.append(
            Appointment(
                match=match,
                therapist_id=match.therapist_id,
                patient_id=match.patient_id,
                starts_at=starts_at,
                ends_at=starts_at + timedelta(minutes=50),
                modality=Modality.PHONE if n % 3 == 2 else Modality.VIDEO,
                created_at=starts_at - timedelta(days=7),
                status=Appointment.Status.CANCELLED if cancelled else Appointment.Status.BOOKED,
                cancelled_at=starts_at - timedelta(days=1) if cancelled else None,
                cancelled_by_id=match.patient_id if cancelled else None,
                cancel_reason="Bench: cannot make it" if cancelled else "",
            )
        )
    return appointments


def _practice_messages(conversations: list, count: int, therapist_id: int, now) -> list:
    """``count`` messages over the conversations, the first far busier than the last (a share
    of 1/rank), two in three from the patient, each conversation's latest UNREAD_LAST unread.
    Bodies encrypted as ``message_send`` does."""
    import uuid
    from datetime import timedelta

    from core.crypto import encrypt_text
    from messaging.models import Message

    weights = [1 / rank for rank in range(1, len(conversations) + 1)]
    shares = [int(count * weight / sum(weights)) for weight in weights]
    shares[0] += count - sum(shares)
    start = now - timedelta(days=PRACTICE_DAYS)
    messages = []
    for conversation, share in zip(conversations, shares, strict=True):
        step = (now - start) / (share + 1)
        for n in range(share):
            sent_at = start + step * (n + 1)
            unread = n >= share - UNREAD_LAST
            messages.append(
                Message(
                    conversation=conversation,
                    sender_id=therapist_id if n % 3 == 2 else conversation.patient_id,
                    client_id=uuid.uuid4(),
                    body_encrypted=encrypt_text(
                        f"Bench message {n}: this week was hard, can we talk about sleep?"
                    ),
                    created_at=sent_at,
                    read_at=None if unread else sent_at + step / 2,
                    # Already emailed about: a sweep running on this database emails nobody.
                    notified_at=sent_at if unread else None,
                )
            )
    return messages


def practice_create(
    tag: str, patients: int, appointments: int, messages: int
) -> dict[str, int | str]:
    """One approved therapist's practice: ``patients`` patients in active matches, each with
    its conversation and a few check-ins (PHQ-9 and GAD-7), ``appointments`` sessions and
    ``messages`` messages over the conversations. The therapist's session, and the busiest
    conversation's with its patient's session.

    Accounts, matches, conversations and check-ins go through the app's own code; appointments
    and messages are inserted in bulk, as thousands made one by one would take minutes.
    """
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    from accounts.models import User
    from matching.choices import Instrument
    from matching.models import Match, ScreeningResult
    from matching.screening import questionnaire
    from matching.services.checkins import checkin_record
    from messaging.models import Message
    from messaging.services import conversation_open
    from scheduling.models import Appointment

    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    prefix = _pair_email_prefix(tag)
    phq9_items = len(questionnaire(Instrument.PHQ9).items)
    gad7_items = len(questionnaire(Instrument.GAD7).items)
    with transaction.atomic():
        therapist = _therapist_signed_up(practice_email(tag, "therapist"), "Bench therapist")
        matches, conversations = [], []
        for n in range(patients):
            patient = _signed_up(
                User.Role.PATIENT, f"{prefix}patient-{n}@example.invalid", nickname=f"Bench {n}"
            )
            match = Match.objects.create(
                patient=patient,
                therapist=therapist.therapist_profile,
                started_at=now - timedelta(days=PRACTICE_DAYS),
            )
            matches.append(match)
            conversations.append(conversation_open(match_id=match.pk))
            for k, weeks_ago in enumerate(CHECKINS_WEEKS_AGO):
                checkin_record(
                    patient=patient,
                    phq9_answers=_screening_answers(phq9_items, n + k),
                    gad7_answers=_screening_answers(gad7_items, n + k + 1),
                    now=now - timedelta(weeks=weeks_ago),
                )
        Appointment.objects.bulk_create(
            _practice_appointments(matches, appointments, now), batch_size=500
        )
        Message.objects.bulk_create(
            _practice_messages(conversations, messages, therapist.pk, now), batch_size=1000
        )
    busiest = conversations[0]
    return {
        "therapist_session": _logged_in(therapist),
        "patient_session": _logged_in(busiest.patient),
        "conversation": busiest.pk,
        "patient": busiest.patient_id,
        "conversation_messages": busiest.messages.count(),
        "patients": patients,
        "appointments": Appointment.objects.filter(therapist=therapist.therapist_profile).count(),
        "messages": Message.objects.filter(conversation__in=conversations).count(),
        "screening_results": ScreeningResult.objects.filter(
            patient__email__startswith=prefix
        ).count(),
    }


def pairs_messages(tag: str) -> int:
    """How many messages the pairs' conversations hold."""
    from messaging.models import Message

    return Message.objects.filter(
        conversation__patient__email__startswith=_pair_email_prefix(tag)
    ).count()


def pairs_delete(tag: str, session_keys: list[str]) -> None:
    """Everything ``pairs_create``, ``rooms_create`` or ``practice_create`` made, and the
    messages sent in it."""
    from importlib import import_module

    from django.conf import settings
    from django.db import transaction

    from accounts.models import User
    from matching.models import Match
    from messaging.models import Message
    from scheduling.models import Appointment
    from sessions_video.models import Room

    store = import_module(settings.SESSION_ENGINE).SessionStore
    for session_key in session_keys:
        store(session_key).delete()
    users = User.objects.filter(email__startswith=_pair_email_prefix(tag))
    rooms = Room.objects.filter(appointment__patient__in=users)
    _wait_for_rooms_left(rooms)
    with transaction.atomic():
        # The rooms' row locks first, in one order, as room_join and room_leave take them: the
        # deletion below removes attendances before rooms, and a late room_leave (the room's row
        # locked, then its attendance) would otherwise deadlock with it.
        list(rooms.select_for_update().order_by("pk").values_list("pk", flat=True))
        # Messages protect their sender, appointments their match and patient, conversations
        # their therapist: children first.
        Message.objects.filter(conversation__patient__in=users).delete()
        Appointment.objects.filter(patient__in=users).delete()  # and their rooms
        Match.objects.filter(patient__in=users).delete()  # and their conversations
        users.delete()


ROOMS_LEFT_WITHIN_SECONDS = 15


def _wait_for_rooms_left(rooms) -> None:
    """Until the server has recorded every socket of these rooms as gone (it handles the
    closes a moment after the bench made them), or a while has passed."""
    import time

    from sessions_video.models import Attendance

    deadline = time.monotonic() + ROOMS_LEFT_WITHIN_SECONDS
    open_attendances = Attendance.objects.filter(room__in=rooms, left_at__isnull=True)
    while open_attendances.exists() and time.monotonic() < deadline:
        time.sleep(0.2)


USAGE = (
    "usage: python -m bench.project_user create | delete EMAIL SESSION_KEY\n"
    "       | pairs TAG COUNT | rooms TAG COUNT | couples-rooms TAG COUNT | pairs-messages TAG\n"
    "       | practice TAG PATIENTS APPOINTMENTS MESSAGES\n"
    "       | pairs-delete TAG < SESSION_KEYS_JSON"
)

if __name__ == "__main__":
    django.setup()
    match sys.argv[1:]:
        case ["create"]:
            print(json.dumps(create()))
        case ["delete", email, session_key]:
            delete(email, session_key)
        case ["pairs", tag, count]:
            print(json.dumps(pairs_create(tag, int(count))))
        case ["rooms", tag, count]:
            print(json.dumps(rooms_create(tag, int(count))))
        case ["couples-rooms", tag, count]:
            print(json.dumps(couples_rooms_create(tag, int(count))))
        case ["practice", tag, patients, appointments, messages]:
            sizes = int(patients), int(appointments), int(messages)
            print(json.dumps(practice_create(tag, *sizes)))
        case ["pairs-messages", tag]:
            print(pairs_messages(tag))
        case ["pairs-delete", tag]:
            pairs_delete(tag, json.load(sys.stdin))
        case _:
            sys.exit(USAGE)
