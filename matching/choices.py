"""Vocabularies of the intake questionnaire and of matching."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Concern(models.TextChoices):
    """What brings someone here. Each (but "other") is also a therapist speciality code."""

    DEPRESSION = "depression", _("Low mood, depression")
    ANXIETY = "anxiety", _("Anxiety, worry")
    STRESS = "stress", _("Stress")
    BURNOUT = "burnout", _("Burnout, exhaustion at work")
    ADDICTION = "addiction", _("Addiction")
    RELATIONSHIPS = "relationships", _("Relationships, family")
    TRAUMA = "trauma", _("A traumatic event")
    GRIEF = "grief", _("Grief, loss")
    LGBT = "lgbt", _("Identity, LGBT+")
    OTHER = "other", _("Something else")


class PreviousTherapy(models.TextChoices):
    NEVER = "never", _("No, this would be my first time")
    PAST = "past", _("Yes, in the past")
    CURRENT = "current", _("Yes, I am seeing someone now")


class GenderPreference(models.TextChoices):
    NONE = "", _("No preference")
    WOMAN = "woman", _("A woman")
    MAN = "man", _("A man")
    NON_BINARY = "non_binary", _("A non-binary person")


class TimeOfDay(models.TextChoices):
    MORNING = "morning", _("Mornings")
    AFTERNOON = "afternoon", _("Afternoons")
    EVENING = "evening", _("Evenings")


class Weekday(models.IntegerChoices):
    MONDAY = 0, pgettext_lazy("a day to choose in a form", "Monday")
    TUESDAY = 1, pgettext_lazy("a day to choose in a form", "Tuesday")
    WEDNESDAY = 2, pgettext_lazy("a day to choose in a form", "Wednesday")
    THURSDAY = 3, pgettext_lazy("a day to choose in a form", "Thursday")
    FRIDAY = 4, pgettext_lazy("a day to choose in a form", "Friday")
    SATURDAY = 5, pgettext_lazy("a day to choose in a form", "Saturday")
    SUNDAY = 6, pgettext_lazy("a day to choose in a form", "Sunday")


class Instrument(models.TextChoices):
    PHQ9 = "phq9", "PHQ-9"
    GAD7 = "gad7", "GAD-7"
