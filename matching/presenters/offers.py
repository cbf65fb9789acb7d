"""How an offer reads to the therapist deciding on it: the time left, the patient's wishes."""

from datetime import timedelta

from django.utils.translation import gettext as _

from accounts.choices import THERAPY_LANGUAGES
from matching.choices import TimeOfDay, Weekday
from matching.forms import OfferDeclineForm
from matching.models import Intake


def time_left_words() -> dict[str, str]:
    """The words of ``time_left``, for a page's script to count down with (placeholders kept)."""
    return {
        "hours": _("%(hours)d h %(minutes)02d min left"),
        "minutes": _("%(minutes)d min left"),
        "soon": _("less than a minute left"),
    }


def time_left(remaining: timedelta) -> str:
    """The time left to answer, in words: "3 h 20 min left"."""
    words = time_left_words()
    minutes = int(remaining.total_seconds() // 60)
    if minutes < 1:
        return words["soon"]
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return words["minutes"] % {"minutes": minutes}
    return words["hours"] % {"hours": hours, "minutes": minutes}


def offer_preferences(intake: Intake) -> list[tuple[str, str]]:
    """What the patient asked for, as (label, answer) pairs."""
    languages = dict(THERAPY_LANGUAGES)
    modality = intake.get_modality_display()
    if intake.modality_required:
        modality = _("%(modality)s (only this)") % {"modality": modality}
    days = [Weekday(int(day)).label for day in intake.preferred_days]
    times = [TimeOfDay(code).label for code in intake.preferred_times if code in TimeOfDay.values]
    no_preference = _("No preference")
    return [
        (_("Therapist's gender"), intake.get_therapist_gender_display() or no_preference),
        (_("LGBT+-specialised"), _("Yes") if intake.wants_lgbt_specialist else _("No")),
        (_("Faith-based practice"), intake.get_faith_display() or _("No")),
        (
            _("Languages, in order of preference"),
            ", ".join(str(languages.get(code, code)) for code in intake.languages),
        ),
        (_("Country and time zone"), f"{intake.country.name} · {intake.time_zone}"),
        *(
            [(_("Comes from"), str(intake.home_country.name))]
            if intake.home_country and intake.home_country != intake.country
            else []
        ),
        (_("Modality"), modality),
        (_("Days"), ", ".join(str(day) for day in days) or no_preference),
        (_("Times of day"), ", ".join(str(time) for time in times) or no_preference),
    ]


def offer_card_context(brief: dict, now) -> dict:
    """What ``matching/offers/_card.html`` shows of an offer, from a brief as
    ``selectors.therapist_offer_briefs`` gives (offer, intake, screenings)."""
    brief = brief | {
        "time_left": time_left(brief["offer"].expires_at - now),
        "countdown": time_left_words(),
        "preferences": offer_preferences(brief["intake"]) if brief["intake"] else [],
    }
    return {"brief": brief, "form": OfferDeclineForm()}
