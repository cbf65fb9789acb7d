"""The therapist's week calendar: hours offered, time off and the sessions booked, one week at
a time (``?week=`` any day of it), on the therapist's clock. Approved therapists only; anyone
else gets 404."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from accounts.decorators import approved_therapist_required
from accounts.models import TherapistProfile
from scheduling import weeks
from scheduling.selectors.availability import therapist_today
from scheduling.selectors.calendar import practice_week


@approved_therapist_required
@require_safe
def calendar(request: HttpRequest, profile: TherapistProfile) -> HttpResponse:
    try:
        day = weeks.parse_week(request.GET.get("week"))
    except weeks.BadWeek:
        raise Http404("not a week") from None
    now = timezone.now()
    today = therapist_today(therapist=profile, now=now)
    week = practice_week(therapist=profile, day=day or today, now=now)
    this_monday = weeks.monday_of(today)
    context = {"week": week, "is_this_week": week.monday == this_monday, "this_monday": this_monday}
    return render(request, "scheduling/practice/calendar.html", context)
