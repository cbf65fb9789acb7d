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
# Django's own catalogue translates the names (they are marked gettext_noop in its settings).
THERAPY_LANGUAGES = sorted(
    [(code, _(name)) for code, name in global_settings.LANGUAGES if "-" not in code]
    + [("zh", _("Chinese"))],
    key=lambda choice: choice[0],
)


class Approach(models.TextChoices):
    CBT = "cbt", _("Cognitive behavioural therapy (CBT)")
    PSYCHODYNAMIC = "psychodynamic", _("Psychodynamic")
    SYSTEMIC = "systemic", _("Systemic / family therapy")
    EMDR = "emdr", _("EMDR")
    ACT = "act", _("Acceptance and commitment therapy (ACT)")
    HUMANISTIC = "humanistic", _("Humanistic / person-centred")
    MINDFULNESS = "mindfulness", _("Mindfulness-based")
    SCHEMA = "schema", _("Schema therapy")
    INTEGRATIVE = "integrative", _("Integrative")


class Modality(models.TextChoices):
    VIDEO = "video", _("Video")
    PHONE = "phone", _("Phone (audio only)")
    CHAT = "chat", _("Live chat")


class Faith(models.TextChoices):
    CHRISTIAN = "christian", _("Christian")
    MUSLIM = "muslim", _("Muslim")
    JEWISH = "jewish", _("Jewish")
    BUDDHIST = "buddhist", _("Buddhist")
    HINDU = "hindu", _("Hindu")
    OTHER = "other", _("Another faith")


class DegreeLevel(models.TextChoices):
    """Highest degree, lowest first: vetting compares levels by this order."""

    BACHELOR = "bachelor", _("Bachelor's degree or equivalent")
    MASTER = "master", _("Master's degree or equivalent")
    DOCTORATE = "doctorate", _("Doctorate (PhD, PsyD, MD)")

    @classmethod
    def rank(cls, value: str) -> int:
        """0 for no level, then 1, 2, 3 upwards."""
        values = list(cls.values)
        return values.index(value) + 1 if value in values else 0
