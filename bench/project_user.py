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

    email = f"bench-{secrets.token_hex(6)}@example.invalid"
    patient = User.objects.create_user(
        email=email, password=secrets.token_urlsafe(), role="patient", time_zone="UTC"
    )
    PatientProfile.objects.create(user=patient, nickname="Bench")
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


def pairs_create(tag: str, count: int) -> list[dict[str, int | str]]:
    """``count`` patients, each in the open conversation of an active match with a therapist of
    their own (approved, with an authenticator app, as every therapist page and socket asks).

    The accounts are signed up as the sign-up form would (``user_register``); the approval is
    set directly, as the vetting workflow's documents are not what is measured. No password:
    hashing a thousand would take longer than the benchmark.
    """
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.db import transaction

    from accounts.models import TherapistProfile, User
    from accounts.services import user_register
    from matching.models import Match
    from messaging.services import conversation_open

    def signed_up(role: str, email: str, **profile: str) -> User:
        user = User(email=email)
        user.set_unusable_password()
        return user_register(user=user, role=role, language="en", time_zone="UTC", **profile)

    made = []
    prefix = _pair_email_prefix(tag)
    for n in range(count):
        with transaction.atomic():
            patient = signed_up(
                User.Role.PATIENT, f"{prefix}patient-{n}@example.invalid", nickname=f"Bench {n}"
            )
            therapist = signed_up(User.Role.THERAPIST, f"{prefix}therapist-{n}@example.invalid")
            profile = therapist.therapist_profile
            profile.display_name = f"Bench therapist {n}"
            profile.vetting_status = TherapistProfile.VettingStatus.APPROVED
            profile.save(update_fields=["display_name", "vetting_status"])
            TOTP.activate(therapist, generate_totp_secret())
            RecoveryCodes.activate(therapist)
            match = Match.objects.create(patient=patient, therapist=profile)
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


def pairs_messages(tag: str) -> int:
    """How many messages the pairs' conversations hold."""
    from messaging.models import Message

    return Message.objects.filter(
        conversation__patient__email__startswith=_pair_email_prefix(tag)
    ).count()


def pairs_delete(tag: str, session_keys: list[str]) -> None:
    """Everything ``pairs_create`` made, and the messages sent in it."""
    from importlib import import_module

    from django.conf import settings
    from django.db import transaction

    from accounts.models import User
    from matching.models import Match
    from messaging.models import Message
    from scheduling.models import Appointment

    store = import_module(settings.SESSION_ENGINE).SessionStore
    for session_key in session_keys:
        store(session_key).delete()
    users = User.objects.filter(email__startswith=_pair_email_prefix(tag))
    with transaction.atomic():
        # Messages protect their sender, conversations their therapist: children first.
        Message.objects.filter(conversation__patient__in=users).delete()
        Appointment.objects.filter(patient__in=users).delete()  # and their rooms
        Match.objects.filter(patient__in=users).delete()  # and their conversations
        users.delete()


USAGE = (
    "usage: python -m bench.project_user create | delete EMAIL SESSION_KEY\n"
    "       | pairs TAG COUNT | rooms TAG COUNT | pairs-messages TAG\n"
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
        case ["pairs-messages", tag]:
            print(pairs_messages(tag))
        case ["pairs-delete", tag]:
            pairs_delete(tag, json.load(sys.stdin))
        case _:
            sys.exit(USAGE)
