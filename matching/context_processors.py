"""The footer's "In danger right now?" line, for the country the pages are shown in."""

from django.core.cache import cache
from django.utils import timezone, translation
from django.utils.functional import SimpleLazyObject

from matching import selectors

# The footer's own words name the EU's 112 and France's 3114: nothing to look up there.
SAID_BY_THE_FOOTER = {"", "FR"}
# The numbers are nobody's: kept by country and language, read again after an hour (staff may
# change them in the admin).
CACHE_SECONDS = 3600


def cache_key(country: str, language: str) -> str:
    return f"emergency.footer.{country}.{language}"


def emergency(request):
    """``footer_emergency``: what to call in the country of the time zone the pages are shown
    in (the profile's, or the browser's) — a ``selectors.CountryEmergency``, or None for France,
    an unknown zone, or a place without a public number. Looked up only when the footer is
    drawn, then cached."""
    zone = timezone.get_current_timezone_name()
    if zone == timezone.get_default_timezone_name():
        return {}
    country = selectors.country_of_time_zone(zone)
    if country in SAID_BY_THE_FOOTER:
        return {}
    language = translation.get_language()

    def read():
        key = cache_key(country, language)
        found = cache.get(key)
        if found is None:
            places = selectors.emergency_numbers_for(countries=[country], language=language)
            found = places[0] if places and places[0].emergency else False
            cache.set(key, found, CACHE_SECONDS)
        return found or None

    return {"footer_emergency": SimpleLazyObject(read)}
