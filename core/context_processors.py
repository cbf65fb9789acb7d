from django.conf import settings

from core.realtime import CLOSE_CODES


def site(request):
    return {"SITE_NAME": settings.SITE_NAME}


def realtime(request):
    """The WebSocket close codes, for the scripts of every page (templates/base.html)."""
    return {"CLOSE_CODES": CLOSE_CODES}
