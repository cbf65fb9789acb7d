"""Controlled vocabularies shared by profiles, intake and matching."""

from django.conf import global_settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Speciality(models.TextChoices):
    DEPRESSION = "depression", _("Depression")
    ANXIETY = "anxiety", _("Anxiety")
    STRESS = "stress", _("Stress")
    BURNOUT = "burnout", _("Burnout")
    ADDICTION = "addiction", _("Addiction")
    RELATIONSHIPS = "relationships", _("Relationships")
    TRAUMA = "trauma", _("Trauma")
    GRIEF = "grief", _("Grief")
    LGBT = "lgbt", _("LGBT+ / identity")
    EATING = "eating", _("Eating")
    SLEEP = "sleep", _("Sleep")
    PARENTING = "parenting", _("Parenting")


class Gender(models.TextChoices):
    WOMAN = "woman", _("Woman")
    MAN = "man", _("Man")
    NON_BINARY = "non_binary", _("Non-binary")
    UNSPECIFIED = "unspecified", _("Prefers not to say")


class LanguageLevel(models.TextChoices):
    NATIVE = "native", _("Native")
    FLUENT = "fluent", _("Fluent")
    PROFESSIONAL = "professional", _("Professional working proficiency")


# Languages therapy can be held in: Django's translated list of languages, without the
# regional and script variants (pt-br, zh-hans ...), which are the same spoken language here.
THERAPY_LANGUAGES = sorted(
    [(code, name) for code, name in global_settings.LANGUAGES if "-" not in code]
    + [("zh", _("Chinese"))]
)
