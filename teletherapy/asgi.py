"""The ASGI entry point: HTTP through Django (bodies capped first), WebSockets through
Channels (the site's origins only, the login session as the user)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "teletherapy.settings")
# Django must be set up before anything imports models.
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from core.asgi import BodySizeLimit  # noqa: E402
from teletherapy.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        # Bodies over REQUEST_MAX_BYTES are refused before Django reads them.
        "http": BodySizeLimit(django_asgi_app, settings.REQUEST_MAX_BYTES),
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
