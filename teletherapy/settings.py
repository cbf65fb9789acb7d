"""Settings of the whole platform, configured from environment variables (see README).

Development defaults work with nothing but Python: SQLite, an in-memory channel layer, a
local-memory cache and Celery on a filesystem broker. Production sets ``DEBUG=false`` and then
must provide every secret; a development default left in place stops the start-up.
"""

import base64
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from teletherapy.env import (
    DEV_DEFAULTS_USED,
    env_bool,
    env_int,
    env_list,
    env_secret,
    env_str,
    mailer_config,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", True)
SITE_NAME = env_str("SITE_NAME", "Havre")

SECRET_KEY = env_secret(
    "SECRET_KEY", dev_default="dev-only-INSECURE-secret-key-set-SECRET_KEY-in-production-0000"
)
# Fernet keys, newest first: the first encrypts, all decrypt (rotation).
MESSAGE_ENCRYPTION_KEYS = [
    key.strip()
    for key in env_secret(
        "MESSAGE_ENCRYPTION_KEYS",
        dev_default=base64.urlsafe_b64encode(b"development-only-key-not-secret!").decode(),
    ).split(",")
    if key.strip()
]
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# Live sessions' ICE servers (comma-separated URLs; empty: calls use host candidates only).
ICE_STUN_URLS = env_list("ICE_STUN_URLS")
ICE_TURN_URLS = env_list("ICE_TURN_URLS")
# Shared with coturn (--static-auth-secret): it signs short-lived TURN credentials, so it is
# needed, and required in production, only once TURN URLs are set.
TURN_SHARED_SECRET = (
    env_secret("TURN_SHARED_SECRET", dev_default="dev-only-INSECURE-turn-shared-secret")
    if ICE_TURN_URLS
    else env_str("TURN_SHARED_SECRET")
)
TURN_CREDENTIAL_TTL_SECONDS = env_int("TURN_CREDENTIAL_TTL_SECONDS", 3600)
if TURN_CREDENTIAL_TTL_SECONDS <= 0:
    raise ImproperlyConfigured("TURN_CREDENTIAL_TTL_SECONDS must be a positive number of seconds")
# "relay": calls go only through the TURN relay, so neither party ever learns the other's IP
# address (a privacy choice, at the cost of a relay hop); "all": direct when possible.
ICE_TRANSPORT_POLICY = env_str("ICE_TRANSPORT_POLICY", "all")
if ICE_TRANSPORT_POLICY not in {"all", "relay"}:
    raise ImproperlyConfigured(
        f"ICE_TRANSPORT_POLICY must be all or relay, not {ICE_TRANSPORT_POLICY!r}"
    )

if not DEBUG:
    _missing = list(DEV_DEFAULTS_USED)
    _missing += [name for name in ("ALLOWED_HOSTS", "EMAIL_URL") if not env_str(name)]
    if _missing:
        raise ImproperlyConfigured(
            "Production (DEBUG=false) needs these environment variables: " + ", ".join(_missing)
        )

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.forms",  # its form templates, for FORM_RENDERER = TemplatesSetting
    "channels",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_countries",
    "recurrence",
    "core",
    "teletherapy",
    "accounts",
    "audit",
    "matching",
    "messaging",
    "scheduling",
    "sessions_video",
    "teletherapy.exports",
    "teletherapy.erasure",
]

MIDDLEWARE = [
    # One line per request, secrets out of the path (outermost: it sees every answer).
    "core.middleware.AccessLogMiddleware",
    # The client's address from X-Forwarded-For only behind TRUSTED_PROXIES.
    "core.middleware.ClientAddressMiddleware",
    # Cache-Control: no-store and a Permissions-Policy on every answer that sets none.
    "core.middleware.PrivacyHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # NUL in a path, query or form field is a 400, not a database error.
    "core.middleware.RejectNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Which login session a read comes from, for the access log (audit.context).
    "audit.middleware.ReadingSessionMiddleware",
    "accounts.middleware.UserPreferencesMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A session idle too long is logged out (its sockets close), then new versions of the legal
    # documents are accepted before anything else, then two-factor set-up.
    "accounts.middleware.IdleLogoutMiddleware",
    # A patient whose account is to be deleted reaches only the page to keep it or let it go.
    "teletherapy.erasure.middleware.ErasurePendingMiddleware",
    "accounts.middleware.LegalConsentMiddleware",
    "accounts.middleware.MFARequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "teletherapy.urls"
ASGI_APPLICATION = "teletherapy.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "core.context_processors.site",
                "core.context_processors.realtime",
                "matching.context_processors.emergency",
                "messaging.context_processors.unread",
                "accounts.context_processors.idle",
            ],
        },
    },
]
# Project templates override Django's form templates (Bootstrap markup for every form).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# --- Data -------------------------------------------------------------------------------------

DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=0, conn_health_checks=True)
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default: web, worker and beat share one file, so wait for locks and take
    # the write lock at the start of a transaction instead of failing half-way.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # A file, not memory, so the browser tests' server process shares the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
elif env_bool("DATABASE_POOL", True):
    # Under ASGI each request may run in a new thread, so persistent connections leak; a pool
    # spares every request and every WebSocket message a new PostgreSQL connection.
    DATABASES["default"]["OPTIONS"] = {
        "pool": {"min_size": 1, "max_size": env_int("DATABASE_POOL_MAX_SIZE", 10), "timeout": 10}
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
REDIS_KEY_PREFIX = env_str("REDIS_KEY_PREFIX", "teletherapy")
CELERY_BROKER_FOLDER = VAR_DIR / "celery-broker"

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": REDIS_KEY_PREFIX,
        }
    }
    _channel_layer: dict[str, Any] = {
        # channels-redis's, whose group entries are renewed by the process holding them, so
        # that a stopped server's expire (core.channel_layer).
        "BACKEND": "core.channel_layer.RedisChannelLayer",
        "CONFIG": {
            # redis-py 8 times out reads after 5 s by default, which kills a consumer whose
            # channel has been quiet that long: channels-redis waits on its own timeouts.
            # Its pool also refuses past 100 connections instead of waiting: hundreds of
            # sockets closing at once (a deploy) would leave their group entries behind.
            "hosts": [
                {
                    "address": REDIS_URL,
                    "socket_timeout": None,
                    "max_connections": env_int("CHANNEL_LAYER_MAX_CONNECTIONS", 2000),
                }
            ],
            "prefix": f"{REDIS_KEY_PREFIX}:asgi",
        },
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "global_keyprefix": f"{REDIS_KEY_PREFIX}:celery:"
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    _channel_layer = {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {}}
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Producer and worker exchange messages through one folder.
        "data_folder_in": str(CELERY_BROKER_FOLDER / "queue"),
        "data_folder_out": str(CELERY_BROKER_FOLDER / "queue"),
        "processed_folder": str(CELERY_BROKER_FOLDER / "processed"),
        "control_folder": str(CELERY_BROKER_FOLDER / "control"),
        "store_processed": False,
    }
# Login sessions: read from Redis, kept in the database (core.sessions: Django's cached_db, made
# safe to end). Without Redis, in the database alone: a process's own cache is not the others'.
SESSION_ENGINE = "core.sessions" if REDIS_URL else "django.contrib.sessions.backends.db"

# channels-redis drops messages silently past `capacity`; both are set on purpose.
_channel_layer["CONFIG"] |= {
    "capacity": env_int("CHANNEL_LAYER_CAPACITY", 1000),
    "expiry": env_int("CHANNEL_LAYER_EXPIRY", 60),
}
if REDIS_URL:
    # A socket's group entry left by a process that stopped is dropped after this; live ones
    # are renewed every third of it.
    _channel_layer["CONFIG"]["group_expiry"] = env_int("CHANNEL_LAYER_GROUP_EXPIRY", 900)
CHANNEL_LAYERS = {"default": _channel_layer}

# Live sockets (accounts.consumers): authorised when they open, closed by revocations sent to
# their groups; as a backstop, asked again at the first frame or event this long after.
SOCKET_RECHECK_SECONDS = env_int("SOCKET_RECHECK_SECONDS", 60)
# Pace of the events and conversation sockets (a page pings every 25 s): a bucket of BURST
# frames refilled at PER_SECOND; frames beyond it are dropped, and past THROTTLED_BEFORE_CLOSE
# dropped frames the socket is closed (4429). A session room has its own pace.
SOCKET_RATE_BURST = env_int("SOCKET_RATE_BURST", 30)
SOCKET_RATE_PER_SECOND = env_int("SOCKET_RATE_PER_SECOND", 5)
SOCKET_THROTTLED_BEFORE_CLOSE = env_int("SOCKET_THROTTLED_BEFORE_CLOSE", 100)

# --- Background work --------------------------------------------------------------------------

CELERY_TIMEZONE = "UTC"
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Beat's own scheduler, recording that beat is alive each time it sends the heartbeat task.
CELERY_BEAT_SCHEDULER = "core.heartbeat:HeartbeatScheduler"
# /healthz/ says 503 when beat or every worker has not shown a heartbeat for this long.
HEALTH_STALE_AFTER_SECONDS = env_int("HEALTH_STALE_AFTER_SECONDS", 120)
# Each health check has this long to answer (a dead database must not make /healthz/ hang);
# an answer is kept this long, so that a flood of checks costs one round.
HEALTH_TIMEOUT_SECONDS = float(env_int("HEALTH_TIMEOUT_MILLISECONDS", 1000)) / 1000
HEALTH_CACHE_SECONDS = env_int("HEALTH_CACHE_SECONDS", 5)
# A token for monitoring to read /healthz/details/ (which service is down) without logging in
# (as "Authorization: Bearer <token>"); staff logged in read it too. Empty: staff only.
HEALTH_TOKEN = env_str("HEALTH_TOKEN")
# Deadlines are found by sweeping the database, never by long countdowns (see DESIGN.md).
CELERY_BEAT_SCHEDULE = {
    # Beat and a worker show they are alive (core.heartbeat; /healthz/ reads it).
    "core.heartbeat": {
        "task": "core.tasks.heartbeat",
        "schedule": float(env_int("HEARTBEAT_SECONDS", 30)),
    },
    # Emails of the outbox that a worker missed, and retries of failed ones.
    "core.sweep_outbox": {
        "task": "core.tasks.sweep_outbox",
        "schedule": 60.0,
    },
    "accounts.sweep_unverified_accounts": {
        "task": "accounts.tasks.sweep_unverified_accounts",
        "schedule": 3600.0,
    },
    "accounts.sweep_expired_licenses": {
        "task": "accounts.tasks.sweep_expired_licenses",
        "schedule": 3600.0,
    },
    # Sessions left idle too long where no page asks the server anything: logged out, their
    # sockets closed.
    "accounts.sweep_idle_sessions": {
        "task": "accounts.tasks.sweep_idle_sessions",
        "schedule": 60.0,
    },
    # Offer expiry, re-offers and the 24-hour escalation: minutes count against the promise.
    "matching.sweep": {
        "task": "matching.tasks.sweep",
        "schedule": 60.0,
    },
    # "You have a new message" emails, MESSAGE_NOTIFY_AFTER_MINUTES after a message is sent.
    "messaging.sweep_notifications": {
        "task": "messaging.tasks.sweep_notifications",
        "schedule": 60.0,
    },
    # Session reminders, SCHEDULING_REMINDER_OFFSETS_MINUTES before each session.
    "scheduling.sweep_reminders": {
        "task": "scheduling.tasks.sweep_reminders",
        "schedule": 60.0,
    },
    # Rooms whose window is over: who came, who did not, how long the session lasted.
    "sessions_video.sweep_rooms": {
        "task": "sessions_video.tasks.sweep_rooms",
        "schedule": 60.0,
    },
}

# --- Accounts ---------------------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "landing"

ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS = env_int("ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS", 3)
ACCOUNT_CONFIRM_EMAIL_ON_GET = False  # a mail scanner following the link confirms nothing
# Never reveal whether an address has an account: that alone says someone is in therapy.
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{SITE_NAME}] "
# Failed logins (accounts.devices; docs/features.md, "Privacy and security"): per network
# address, strict and for everyone ("login_failed", also counting two-factor codes); per
# account, a stranger's failures from many addresses fill the account's bucket, which stops
# devices that never logged in to it, while each device its owner logged in from before has a
# bucket of its own (a targeted lock-out of the owner is impossible).
ACCOUNT_RATE_LIMITS = {
    "login_failed": env_str("LOGIN_LIMIT_PER_ADDRESS", "10/m/ip"),
    "login_failed_account": env_str("LOGIN_LIMIT_PER_ACCOUNT", "20/15m/key"),
    "mfa_failed_account": env_str("LOGIN_CODE_LIMIT_PER_ACCOUNT", "5/5m/key"),
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
}
# The cookie that makes a device known to an account (set at each successful login).
KNOWN_DEVICE_DAYS = env_int("KNOWN_DEVICE_DAYS", 180)
KNOWN_DEVICE_COOKIE_PREFIX = "device_"
# Unverified sign-ups are deleted after this many days (data minimisation).
ACCOUNT_UNVERIFIED_RETENTION_DAYS = env_int("ACCOUNT_UNVERIFIED_RETENTION_DAYS", 7)


def _minutes(name: str, default: float) -> float:
    raw = env_str(name, str(default))
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not 0 < value <= 24 * 60:
        raise ImproperlyConfigured(f"{name} must be a number of minutes (up to 1440), not {raw!r}")
    return value


# Idle log-out (accounts.middleware.IdleLogoutMiddleware): a session without activity for this
# many minutes is logged out, per role; on a device the person said is shared, never more than
# "shared_device". Decimals are allowed (0.5 is 30 seconds). The page warns this many seconds
# before, with a button to stay.
IDLE_LOGOUT_MINUTES = {
    "patient": _minutes("IDLE_LOGOUT_MINUTES_PATIENT", 30),
    "therapist": _minutes("IDLE_LOGOUT_MINUTES_THERAPIST", 15),
    "staff": _minutes("IDLE_LOGOUT_MINUTES_STAFF", 15),
    "shared_device": _minutes("IDLE_LOGOUT_MINUTES_SHARED_DEVICE", 10),
}
IDLE_LOGOUT_WARNING_SECONDS = env_int("IDLE_LOGOUT_WARNING_SECONDS", 60)
# Always on; the unit tests turn it off (they move the clock hours ahead within one login) and
# on again where they test it.
IDLE_LOGOUT_ENABLED = True
# Where people write about their data (shown below each legal document).
PRIVACY_CONTACT_EMAIL = env_str("PRIVACY_CONTACT_EMAIL", "privacy@localhost")

# Rate limits of actions (accounts.ratelimits), in the cache (Redis in production): "N/period/
# scope" separated by commas, period s, m, h or d (with a number: 10m), scope user or ip (a
# visitor not logged in counts only by address). Past one, the action is answered 429.
RATE_LIMITS = {
    "message": env_str("RATE_LIMIT_MESSAGES", "20/m/user,100/m/ip"),
    "upload": env_str("RATE_LIMIT_UPLOADS", "10/m/user,30/m/ip"),
    "booking": env_str("RATE_LIMIT_BOOKINGS", "10/m/user,30/m/ip"),
    "intake": env_str("RATE_LIMIT_INTAKE", "30/m/user,120/m/ip"),
}

# Matching: a patient has a therapist within this many hours of their intake, or staff step in.
MATCHING_PROMISE_HOURS = env_int("MATCHING_PROMISE_HOURS", 24)
MATCHING_OFFER_HOURS = env_int("MATCHING_OFFER_HOURS", 4)
# The jurisdiction rule: a therapist sees patients living where they are licensed and, when
# this allows it and the therapist opts in, citizens or former residents of a licence country
# living abroad (docs/features.md).
MATCHING_SERVE_CITIZENS_ABROAD = env_bool("MATCHING_SERVE_CITIZENS_ABROAD", True)

# Messaging: a message still unread this many minutes after it was sent is announced by email
# (never its content); each side of a conversation gets at most one such email per period.
MESSAGE_NOTIFY_AFTER_MINUTES = env_int("MESSAGE_NOTIFY_AFTER_MINUTES", 10)
MESSAGE_NOTIFY_EVERY_MINUTES = env_int("MESSAGE_NOTIFY_EVERY_MINUTES", 30)

# Booking: a patient cancelling later than this before a session cancels late (recorded), and
# may no longer move it.
SCHEDULING_CANCEL_CUTOFF_HOURS = env_int("SCHEDULING_CANCEL_CUTOFF_HOURS", 24)
# Both sides of a session are reminded this many minutes before it (comma-separated, empty for
# none); each reminder is due until the next shorter one is, so a session booked late gets only
# those left.
_reminder_offsets = env_list("SCHEDULING_REMINDER_OFFSETS_MINUTES", "1440,60")
if not all(item.isdigit() and 0 < int(item) <= 7 * 24 * 60 for item in _reminder_offsets):
    raise ImproperlyConfigured(
        "SCHEDULING_REMINDER_OFFSETS_MINUTES must be minutes from 1 to 10080, such as 1440,60"
    )
SCHEDULING_REMINDER_OFFSETS_MINUTES = sorted({int(item) for item in _reminder_offsets})

# Session rooms: open this many minutes before a session starts, until this many after it ends.
SESSION_ROOM_OPENS_MINUTES_BEFORE = env_int("SESSION_ROOM_OPENS_MINUTES_BEFORE", 10)
SESSION_ROOM_CLOSES_MINUTES_AFTER = env_int("SESSION_ROOM_CLOSES_MINUTES_AFTER", 30)
# A room's socket confirms its place every ROOM_HEARTBEAT_SECONDS; a place not confirmed for
# ROOM_ATTENDANCE_STALE_SECONDS (its daphne process died) is taken over by the next to join.
ROOM_HEARTBEAT_SECONDS = env_int("ROOM_HEARTBEAT_SECONDS", 15)
ROOM_ATTENDANCE_STALE_SECONDS = env_int("ROOM_ATTENDANCE_STALE_SECONDS", 45)
if not 0 < 2 * ROOM_HEARTBEAT_SECONDS < ROOM_ATTENDANCE_STALE_SECONDS:
    raise ImproperlyConfigured(
        "ROOM_ATTENDANCE_STALE_SECONDS must exceed two ROOM_HEARTBEAT_SECONDS (a beat may be late)"
    )

# Therapist vetting: staff cannot approve an application below these.
VETTING_MIN_DEGREE_LEVEL = env_str("VETTING_MIN_DEGREE_LEVEL", "master")
VETTING_MIN_EXPERIENCE_YEARS = env_int("VETTING_MIN_EXPERIENCE_YEARS", 3)
VETTING_MIN_CLINICAL_HOURS = env_int("VETTING_MIN_CLINICAL_HOURS", 2000)

MFA_ADAPTER = "accounts.adapter.MFAAdapter"
# Two-factor codes counted per account as passwords are (accounts.devices).
MFA_FORMS = {
    "authenticate": "accounts.forms.TwoFactorCodeForm",
    "reauthenticate": "accounts.forms.TwoFactorReauthenticateForm",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = SITE_NAME
MFA_TOTP_TOLERANCE = 1  # one 30-second step either side, as RFC 6238 recommends

# --- Internationalisation and time --------------------------------------------------------------

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "language"
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = not DEBUG
LANGUAGE_COOKIE_HTTPONLY = True
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"
TIME_ZONE_COOKIE_NAME = "tz"

# --- Static files -----------------------------------------------------------------------------

STATIC_URL = "/static/"
# Production serves hashed, compressed copies collected here; development serves the sources.
STATIC_MANIFEST = env_bool("STATIC_MANIFEST", not DEBUG)
STATIC_ROOT = BASE_DIR / "staticfiles" if STATIC_MANIFEST else None
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", BASE_DIR / "node_modules" / "bootstrap" / "dist"),
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# Uploaded files (credentials, photos, attachments) are never served as static media: views
# check who asks, then stream them. Keep this directory out of any web server's document root.
PRIVATE_MEDIA_ROOT = Path(env_str("PRIVATE_MEDIA_ROOT", str(VAR_DIR / "private")))
# Where those files are kept (core.storage; docs/operations.md, "Private files"): "filesystem"
# (PRIVATE_MEDIA_ROOT, one host) or "s3" (a private bucket of an S3-compatible object store,
# shared by every host). The apps encrypt what they store either way.
PRIVATE_STORAGE = env_str("PRIVATE_STORAGE").strip().lower() or "filesystem"
_private_storage: dict[str, Any] = {"BACKEND": "core.storage.PrivateFileSystemStorage"}
if PRIVATE_STORAGE == "s3":
    if not env_str("S3_BUCKET"):
        raise ImproperlyConfigured("PRIVATE_STORAGE=s3 needs S3_BUCKET (the private bucket)")
    _private_storage = {
        "BACKEND": "core.storage.s3.PrivateS3Storage",
        "OPTIONS": {
            "bucket_name": env_str("S3_BUCKET"),
            "endpoint_url": env_str("S3_ENDPOINT_URL") or None,  # None: AWS S3 itself
            "region_name": env_str("S3_REGION") or None,
            "addressing_style": env_str("S3_ADDRESSING_STYLE", "path"),
            # MinIO's own first-start credentials, for a local MinIO only: production refuses
            # them (DEBUG=false and a development default, below).
            "access_key": env_secret("S3_ACCESS_KEY_ID", dev_default="minioadmin"),
            "secret_key": env_secret("S3_SECRET_ACCESS_KEY", dev_default="minioadmin"),
        },
    }
    _s3_defaults = {"S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY"} & set(DEV_DEFAULTS_USED)
    if not DEBUG and _s3_defaults:
        raise ImproperlyConfigured(
            "Production (DEBUG=false) needs these environment variables: "
            + ", ".join(sorted(_s3_defaults))
        )
elif PRIVATE_STORAGE != "filesystem":
    raise ImproperlyConfigured(f"PRIVATE_STORAGE must be filesystem or s3, not {PRIVATE_STORAGE!r}")
STORAGES["private"] = _private_storage
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
# Voice messages: at most this long (read from the file, with a second's tolerance) and big
# (five minutes of Chromium's Opus at 32 kbit/s is about 1.2 MB).
VOICE_MESSAGE_MAX_SECONDS = env_int("VOICE_MESSAGE_MAX_SECONDS", 300)
VOICE_MESSAGE_MAX_BYTES = env_int("VOICE_MESSAGE_MAX_BYTES", 5 * 1024 * 1024)

# --- Email ------------------------------------------------------------------------------------

MAILERS = {"default": mailer_config(env_str("EMAIL_URL", "console:"))}
# Every email goes through the outbox (core.outbox): tried again 1, 2, 4 … minutes apart (at
# most an hour) until sent, then given up after this many attempts (staff see it in the admin).
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 12)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", f"{SITE_NAME} <no-reply@localhost>")
SERVER_EMAIL = env_str("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
# Links in emails sent outside a request (sweeps, staff decisions) start with this.
SITE_URL = env_str(
    "SITE_URL",
    f"http://127.0.0.1:{env_str('WEB_PORT', '8000')}" if DEBUG else f"https://{ALLOWED_HOSTS[0]}",
).rstrip("/")

# --- Security ---------------------------------------------------------------------------------

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],  # Bootstrap's form controls draw with data: SVG
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "media-src": [CSP.SELF, "blob:"],
    "object-src": [CSP.NONE],
    "frame-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = not DEBUG
# Flash messages live in the session, never in a cookie of their own ("Successfully signed in as
# robin@example.org" would put an address in a cookie).
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
CSRF_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Addresses (or networks) of the reverse proxies in front of the app: only from them is
# X-Forwarded-For believed, and then only the entry they wrote (core.middleware). Empty: the
# peer's address is the client's.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")
# The largest request body accepted, refused before it is read (core.asgi): an upload plus
# room for the rest of its form.
REQUEST_MAX_BYTES = env_int("REQUEST_MAX_BYTES", UPLOAD_MAX_BYTES + 1024 * 1024)

# --- Logging: never clinical content, only events and ids -------------------------------------

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
# A 403 or 404 is one line in the log, never a traceback (teletherapy.log_filters); the keys
# and tokens of links never reach a log line (core.observability.RedactPathsFilter).
LOGGING["filters"] = {
    "client_errors_one_line": {"()": "teletherapy.log_filters.ClientErrorsOneLine"},
    "redact_paths": {"()": "core.observability.RedactPathsFilter"},
}
LOGGING["handlers"]["console"]["filters"] = ["redact_paths"]
LOGGING["loggers"] = {
    "django.request": {"filters": ["client_errors_one_line"]},
    # Not Django's own mail to ADMINS: it carries the whole request, bodies included.
    "django": {"handlers": [], "level": "INFO", "propagate": True},
}
# JSON lines in production (one object per line, for a log collector), plain text to read in
# a terminal in development: LOG_FORMAT=json|plain.
LOGGING["formatters"]["json"] = {"()": "core.observability.JsonFormatter"}
if env_str("LOG_FORMAT", "plain" if DEBUG else "json") == "json":
    LOGGING["handlers"]["console"]["formatter"] = "json"
# Server errors: a content-free email to ADMINS (comma-separated addresses), at most one per
# route and kind of error every 10 minutes, through the outbox.
ADMINS = env_list("ADMINS")
if ADMINS:
    LOGGING["handlers"]["admins"] = {"()": "core.observability.AdminsNotifyHandler"}
    LOGGING["loggers"]["django.request"]["handlers"] = ["console", "admins"]
    LOGGING["loggers"]["django.request"]["propagate"] = False
# Error reports to a Sentry-compatible service (Sentry, GlitchTip), opt-in: nothing personal is
# sent (core.observability.scrub_event).
SENTRY_DSN = env_str("SENTRY_DSN")
if SENTRY_DSN:
    from core.observability import error_reports_init

    error_reports_init(
        dsn=SENTRY_DSN,
        environment=env_str("SENTRY_ENVIRONMENT", "development" if DEBUG else "production"),
        release=env_str("SENTRY_RELEASE"),
    )

# --- Access log (audit) --------------------------------------------------------------------------

# The same reader reading the same record from the same session again within this many minutes
# of the last entry adds no entry (a reload, a live refresh: one visit).
AUDIT_REPEAT_MINUTES = env_int("AUDIT_REPEAT_MINUTES", 15)
if AUDIT_REPEAT_MINUTES < 0:
    raise ImproperlyConfigured("AUDIT_REPEAT_MINUTES must be 0 (log every read) or more")

# --- Private session notes (scheduling) --------------------------------------------------------

# A therapist edits their notes on a session until this long after its planned end; then the
# note is locked and later words are dated addenda.
SESSION_NOTES_EDITABLE_HOURS = env_int("SESSION_NOTES_EDITABLE_HOURS", 24)

# --- Progress check-ins (matching) -------------------------------------------------------------

# A patient with a therapist is invited to retake PHQ-9 and GAD-7 this many days after their
# last check-in: one email per period, saying only that a check-in is available.
CHECKIN_INTERVAL_DAYS = env_int("CHECKIN_INTERVAL_DAYS", 28)
if CHECKIN_INTERVAL_DAYS < 1:
    raise ImproperlyConfigured("CHECKIN_INTERVAL_DAYS must be a positive number of days")
CELERY_BEAT_SCHEDULE["matching.sweep_checkin_invitations"] = {
    "task": "matching.tasks.sweep_checkin_invitations",
    "schedule": 60.0,
}
# Worksheets due tomorrow or today (their date): one content-free reminder each.
CELERY_BEAT_SCHEDULE["matching.sweep_worksheet_reminders"] = {
    "task": "matching.tasks.sweep_worksheet_reminders",
    "schedule": 900.0,
}

# --- A person's copy of their data (teletherapy.exports) ---------------------------------------

# A copy is kept this many days after it is ready (encrypted, for its owner only), then deleted.
EXPORT_KEEP_DAYS = env_int("EXPORT_KEEP_DAYS", 7)
if EXPORT_KEEP_DAYS < 1:
    raise ImproperlyConfigured("EXPORT_KEEP_DAYS must be a positive number of days")
# A build nothing moved for this long (its worker died, the broker lost it) is started again,
# at most EXPORT_MAX_ATTEMPTS times in all; then it has failed and the person may ask again.
EXPORT_STALE_MINUTES = env_int("EXPORT_STALE_MINUTES", 10)
EXPORT_MAX_ATTEMPTS = env_int("EXPORT_MAX_ATTEMPTS", 3)
CELERY_BEAT_SCHEDULE["exports.sweep"] = {
    "task": "teletherapy.exports.tasks.sweep_exports",
    "schedule": 60.0,
}

# --- Data keys, the key vault and erasure (core.crypto, core.keyvault, teletherapy.erasure) ----

# The key vault every patient's data key is wrapped under (core.keyvault): files under this
# folder, NOT in the database and not in manage.py backup. Every web, socket and worker process
# reads the same folder (a shared volume); back it up apart, like MESSAGE_ENCRYPTION_KEYS, and
# keep no copy older than ERASURE_VAULT_COPIES_DAYS (docs/operations.md, "Back up and restore").
KEY_VAULT_ROOT = Path(env_str("KEY_VAULT_ROOT", str(VAR_DIR / "keys")))
STORAGES["keys"] = {"BACKEND": "core.keyvault.KeyVaultFileSystemStorage"}
# A process reads the vault again this long after it last did (a newer one only removes the
# slots of erased people), and keeps a patient's unwrapped data key this long after using it.
KEY_VAULT_RECHECK_SECONDS = env_int("KEY_VAULT_RECHECK_SECONDS", 30)
DATA_KEY_CACHE_SECONDS = env_int("DATA_KEY_CACHE_SECONDS", 300)
# Delete my account: the days a patient has to change their mind before their data is erased.
ERASURE_GRACE_DAYS = env_int("ERASURE_GRACE_DAYS", 14)
if ERASURE_GRACE_DAYS < 1:
    raise ImproperlyConfigured("ERASURE_GRACE_DAYS must be a positive number of days")
# The operator's promise about copies of the key vault (docs/operations.md): an erasure reaches
# every database backup at once, and the vault's own copies within this many days.
ERASURE_VAULT_COPIES_DAYS = env_int("ERASURE_VAULT_COPIES_DAYS", 30)
# How long a therapist's session notes about an erased patient are kept (pseudonymised, under a
# key of their own), in years after the last session they wrote about, by the country whose law
# binds the therapist (their licence's; else the patient's); "XX:years" pairs, comma-separated.
RETENTION_YEARS_DEFAULT = env_int("RETENTION_YEARS_DEFAULT", 10)
_retention = env_list("RETENTION_YEARS_BY_COUNTRY", "FR:20,BE:30,CH:20,GB:8")
if not all(
    len(code) == 2 and code.isalpha() and years.isascii() and years.isdigit()
    for code, _sep, years in (item.partition(":") for item in _retention)
):
    raise ImproperlyConfigured("RETENTION_YEARS_BY_COUNTRY must be pairs such as FR:20,BE:30")
RETENTION_YEARS_BY_COUNTRY = {
    code.upper(): int(years) for code, _sep, years in (i.partition(":") for i in _retention)
}
CELERY_BEAT_SCHEDULE["erasure.sweep"] = {
    "task": "teletherapy.erasure.tasks.sweep_erasures",
    "schedule": 3600.0,
}
CELERY_BEAT_SCHEDULE["erasure.sweep_retention"] = {
    "task": "teletherapy.erasure.tasks.sweep_retention",
    "schedule": 24 * 3600.0,
}
# Login sessions past their expiry (a visitor's unfinished intake among them) are deleted.
CELERY_BEAT_SCHEDULE["core.sweep_sessions"] = {
    "task": "core.tasks.sweep_sessions",
    "schedule": 3600.0,
}
