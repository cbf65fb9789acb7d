"""The HTTP side of production: Django as a WSGI application, for gunicorn's sync workers.

Production (``make serve``, ``docs/operations.md``) runs HTTP here and WebSockets in daphne
processes (``teletherapy.asgi``), behind nginx. A sync worker runs a request on one thread from
start to finish: no event loop, no hand-off between a loop and a thread, one database
connection. Publishing a live event from here goes through ``core.realtime``'s one event loop
per process. Request bodies arrive bounded and whole: nginx buffers them
(``client_max_body_size``) before a worker sees them.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "teletherapy.settings")

application = get_wsgi_application()
