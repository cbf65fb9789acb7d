"""Settings of the whole platform, configured from environment variables (see README).

Development defaults work with nothing but Python: SQLite, an in-memory channel layer, a
local-memory cache and Celery on a filesystem broker. Production sets ``DEBUG=false`` and then
must provide every secret; a development default left in place stops the start-up.
"""

import base64
from pathlib import Path

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
    "teletherapy",
    "accounts",
    "matching",
    "messaging",
    "scheduling",
    "sessions_video",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.UserPreferencesMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
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
                "teletherapy.context_processors.site",
                "messaging.context_processors.unread",
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
    _channel_layer = {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
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
    CELERY_BROKER_TRANSPORT_OPTIONS = {"global_keyprefix": f"{REDIS_KEY_PREFIX}:celery:"}
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
# channels-redis drops messages silently past `capacity`; both are set on purpose.
_channel_layer["CONFIG"] |= {
    "capacity": env_int("CHANNEL_LAYER_CAPACITY", 1000),
    "expiry": env_int("CHANNEL_LAYER_EXPIRY", 60),
}
CHANNEL_LAYERS = {"default": _channel_layer}

# --- Background work --------------------------------------------------------------------------

CELERY_TIMEZONE = "UTC"
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Deadlines are found by sweeping the database, never by long countdowns (see DESIGN.md).
CELERY_BEAT_SCHEDULE = {
    "accounts.sweep_unverified_accounts": {
        "task": "accounts.tasks.sweep_unverified_accounts",
        "schedule": 3600.0,
    },
    "accounts.sweep_expired_licenses": {
        "task": "accounts.tasks.sweep_expired_licenses",
        "schedule": 3600.0,
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
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
}
# Unverified sign-ups are deleted after this many days (data minimisation).
ACCOUNT_UNVERIFIED_RETENTION_DAYS = env_int("ACCOUNT_UNVERIFIED_RETENTION_DAYS", 7)

# Matching: a patient has a therapist within this many hours of their intake, or staff step in.
MATCHING_PROMISE_HOURS = env_int("MATCHING_PROMISE_HOURS", 24)
MATCHING_OFFER_HOURS = env_int("MATCHING_OFFER_HOURS", 4)

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

# Therapist vetting: staff cannot approve an application below these.
VETTING_MIN_DEGREE_LEVEL = env_str("VETTING_MIN_DEGREE_LEVEL", "master")
VETTING_MIN_EXPERIENCE_YEARS = env_int("VETTING_MIN_EXPERIENCE_YEARS", 3)
VETTING_MIN_CLINICAL_HOURS = env_int("VETTING_MIN_CLINICAL_HOURS", 2000)

MFA_ADAPTER = "accounts.adapter.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = SITE_NAME
MFA_TOTP_TOLERANCE = 1  # one 30-second step either side, as RFC 6238 recommends

# --- Internationalisation and time --------------------------------------------------------------

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "language"
LANGUAGE_COOKIE_SAMESITE = "Lax"
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
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 10 * 1024 * 1024)

# --- Email ------------------------------------------------------------------------------------

MAILERS = {"default": mailer_config(env_str("EMAIL_URL", "console:"))}
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
CSRF_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Logging: never clinical content, only events and ids -------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

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
