"""Goals a therapist sets with their patient: a title, why it matters, a target date, steps in
order; the patient ticks steps off. Only within an active match: the caller found the match
(or the goal) among the acting person's (``matching.selectors``), and an ended match's goals
stay as they were, the former therapist's record.

Raises ``ValidationError`` keyed by form field (``title``, ``why``, ``target_date``,
``steps``) for what a form would refuse, nothing written; with the code ``ended`` when the
match is over.
"""

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from matching.models import Goal, GoalStep, Match

TITLE_MAX = 200
WHY_MAX = 2_000
STEP_MAX = 300
STEPS_MAX = 20


def _text_problem(text: str, limit: int) -> ValidationError | None:
    if "\x00" in text:
        return ValidationError(_("This text holds a character that cannot be kept."), code="null")
    if len(text) > limit:
        return ValidationError(
            _("At most %(max)s characters here."), code="max_length", params={"max": limit}
        )
    return None


def _checked(
    *,
    title: str,
    why: str,
    target_date: date | None,
    steps: list[str],
    today: date,
    kept_date: date | None = None,
) -> tuple[str, str, list[str]]:
    errors: dict[str, ValidationError] = {}
    title = title.strip()
    if not title:
        errors["title"] = ValidationError(_("Give the goal a title."), code="required")
    elif problem := _text_problem(title, TITLE_MAX):
        errors["title"] = problem
    why = why.strip()
    if problem := _text_problem(why, WHY_MAX):
        errors["why"] = problem
    # A date already set may stay as it is once past; a new one may not be in the past.
    if target_date is not None and target_date < today and target_date != kept_date:
        errors["target_date"] = ValidationError(
            _("Choose a target date from today on, or none."), code="past"
        )
    steps = [step.strip() for step in steps if step.strip()]
    if len(steps) > STEPS_MAX:
        errors["steps"] = ValidationError(
            _("At most %(max)s steps."), code="too_many", params={"max": STEPS_MAX}
        )
    elif any(_text_problem(step, STEP_MAX) for step in steps):
        errors["steps"] = ValidationError(
            _("Each step holds at most %(max)s characters, in plain text."),
            code="max_length",
            params={"max": STEP_MAX},
        )
    if errors:
        raise ValidationError(errors)
    return title, why, steps


def _active(match: Match) -> None:
    if match.status != Match.Status.ACTIVE:
        raise ValidationError(
            _("You are no longer this person's therapist: this is kept as it was."),
            code="ended",
        )


@transaction.atomic
def goal_set(
    *,
    match: Match,
    title: str,
    why: str,
    target_date: date | None,
    steps: list[str],
    today: date,
    now: datetime,
) -> Goal:
    """A new goal for the patient of ``match`` (active), with its steps in order. ``today``:
    the therapist's date, for the target date."""
    _active(match)
    title, why, steps = _checked(
        title=title, why=why, target_date=target_date, steps=steps, today=today
    )
    goal = Goal(match=match, patient_id=match.patient_id, target_date=target_date, created_at=now)
    goal.changed_at = now
    goal.title = title
    goal.why = why
    goal.save()
    _steps_write(goal, steps, done={})
    return goal


@transaction.atomic
def goal_change(
    *,
    goal: Goal,
    title: str,
    why: str,
    target_date: date | None,
    steps: list[str],
    today: date,
    now: datetime,
) -> Goal:
    """The therapist rewrites a goal of their active match. A step whose words stay keeps
    whether it is done."""
    goal = Goal.objects.select_for_update().select_related("match").get(pk=goal.pk)
    _active(goal.match)
    title, why, steps = _checked(
        title=title,
        why=why,
        target_date=target_date,
        steps=steps,
        today=today,
        kept_date=goal.target_date,
    )
    done = {step.text: step.done_at for step in goal.steps.all()}
    goal.title = title
    goal.why = why
    goal.target_date = target_date
    goal.changed_at = now
    goal.save(update_fields=["title_encrypted", "why_encrypted", "target_date", "changed_at"])
    goal.steps.all().delete()
    _steps_write(goal, steps, done=done)
    return goal


def _steps_write(goal: Goal, steps: list[str], *, done: dict[str, datetime | None]) -> None:
    rows = []
    for position, text in enumerate(steps):
        step = GoalStep(goal=goal, position=position, done_at=done.get(text))
        step.text = text
        rows.append(step)
    GoalStep.objects.bulk_create(rows)


@transaction.atomic
def goal_archive(*, goal: Goal, now: datetime) -> Goal:
    """Put a goal of the active match away: the patient no longer sees it; the therapist's
    record keeps it."""
    goal = Goal.objects.select_for_update().select_related("match").get(pk=goal.pk)
    _active(goal.match)
    if goal.archived_at is None:
        goal.archived_at = now
        goal.save(update_fields=["archived_at"])
    return goal


@transaction.atomic
def goal_step_mark(*, step: GoalStep, done: bool, now: datetime) -> GoalStep:
    """The patient says a step is done (or not yet). Saying it twice changes nothing."""
    step = GoalStep.objects.select_for_update().select_related("goal__match").get(pk=step.pk)
    _active(step.goal.match)
    if step.goal.archived_at is not None:
        raise ValidationError(_("This goal was put away."), code="archived")
    if done and step.done_at is None:
        step.done_at = now
    elif not done:
        step.done_at = None
    step.save(update_fields=["done_at"])
    return step
