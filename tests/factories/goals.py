"""Goals and worksheets (matching, issue 18 item 3): a goal with its steps, a worksheet of the
library (the seeded ones, put back after a browser test emptied the tables), one given."""

import importlib
from datetime import UTC, datetime

import factory
from factory.django import DjangoModelFactory

from matching.models import Goal, GoalStep, Worksheet, WorksheetAssignment
from tests.factories.matching import MatchFactory

SEED = importlib.import_module("matching.migrations.0013_goals_worksheets")


def seeded_worksheet(slug: str = "thought-record") -> Worksheet:
    """One of the library's first four worksheets, as the data migration wrote it."""
    data = next(sheet for sheet in SEED.WORKSHEETS if sheet["slug"] == slug)
    sheet, _created = Worksheet.objects.update_or_create(slug=slug, defaults=data)
    return sheet


class WorksheetFactory(DjangoModelFactory):
    """A small worksheet: a line, a paragraph, a number from 0 to 10 and a date."""

    class Meta:
        model = Worksheet
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"sheet-{n}")
    title_en = "Check-in sheet"
    title_fr = "Fiche du jour"
    instructions_en = "Write what comes."
    instructions_fr = "Écrivez ce qui vient."
    fields = factory.LazyFunction(
        lambda: [
            {"key": "moment", "kind": "text", "label_en": "A moment", "label_fr": "Un moment"},
            {
                "key": "story",
                "kind": "longtext",
                "label_en": "What happened",
                "label_fr": "Ce qui s'est passé",
            },
            {
                "key": "level",
                "kind": "scale",
                "label_en": "How strong (0 to 10)",
                "label_fr": "Intensité (0 à 10)",
            },
            {"key": "day", "kind": "date", "label_en": "Day", "label_fr": "Jour"},
        ]
    )
    rows = 1


class GoalFactory(DjangoModelFactory):
    """A goal of a match with ``steps`` (texts, none done)."""

    class Meta:
        model = Goal
        skip_postgeneration_save = True

    match = factory.SubFactory(MatchFactory)
    patient = factory.SelfAttribute("match.patient")
    title_encrypted = ""
    created_at = factory.LazyFunction(lambda: datetime(2026, 12, 1, tzinfo=UTC))

    @factory.post_generation
    def words(goal, create, extracted, **kwargs):
        goal.title = (extracted or {}).get("title", "Walk three times a week")
        goal.why = (extracted or {}).get("why", "")
        if create:
            goal.save(update_fields=["title_encrypted", "why_encrypted"])

    @factory.post_generation
    def steps(goal, create, extracted, **kwargs):
        if not create:
            return
        for position, text in enumerate(extracted or ["Find shoes", "First walk"]):
            step = GoalStep(goal=goal, position=position)
            step.text = text
            step.save()


class WorksheetAssignmentFactory(DjangoModelFactory):
    class Meta:
        model = WorksheetAssignment

    match = factory.SubFactory(MatchFactory)
    patient = factory.SelfAttribute("match.patient")
    worksheet = factory.SubFactory(WorksheetFactory)
    due_date = None
