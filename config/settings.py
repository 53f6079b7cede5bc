"""Settings, driven by environment variables with safe embedded defaults.

Without ``DATABASE_URL`` the platform uses SQLite; without ``REDIS_URL`` it uses the
in-memory channel layer (one process only). See README.md, "Production".
"""

import json
import os
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
# Absolute address of this installation, for links in e-mails (no request to ask there); its
# scheme also decides the HTTPS defaults below.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
HTTPS = SITE_URL.startswith("https://")
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
# Served to others: an https address, or a host name in ALLOWED_HOSTS beyond this machine.
# Then the platform refuses to start without a secret key of its own (docs/security.md).
SERVED_TO_OTHERS = HTTPS or any(host not in LOOPBACK_HOSTS for host in ALLOWED_HOSTS)
EMBEDDED_SECRET_KEY = "insecure-embedded-default-do-not-use-in-production"  # noqa: S105
SECRET_KEY = os.environ.get("SECRET_KEY", EMBEDDED_SECRET_KEY)
if SERVED_TO_OTHERS and not DEBUG:
    if SECRET_KEY == EMBEDDED_SECRET_KEY or len(SECRET_KEY) < 50:
        raise ImproperlyConfigured(
            "SECRET_KEY: set a secret of at least 50 characters for an installation that others "
            "reach (ALLOWED_HOSTS / SITE_URL), e.g. the output of "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))'."
        )
    if "*" in ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS: name the installation's host names, not '*'.")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "channels",
    "consult",
    "signaling",
    "frontend",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "config.middleware.PermissionsPolicyMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.middleware.GermanFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.middleware.EmbeddingMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# --- Staff logins (console and admin) are throttled by django-axes: after LOGIN_FAILURE_LIMIT
# failures for one user name, or from one address, that user name / address is locked for
# LOGIN_LOCKOUT_MINUTES (every further failure restarts the time). `manage.py
# axes_reset_username NAME` (or `axes_reset_ip ADDRESS`, `axes_reset`) unlocks. docs/security.md.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_LOCKOUT_CALLABLE = "frontend.views.login_locked_out"
AXES_USERNAME_CALLABLE = "frontend.views.login_username"
AXES_RESET_ON_SUCCESS = True
# No record of successful logins and no log lines with user names or addresses; failed
# attempts (with the address) are kept only for the lockout time.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False
# Its warnings name the client by network only, not by user name and address.
AXES_CLIENT_STR_CALLABLE = "config.logfilters.axes_client"
# The address is REMOTE_ADDR: behind a reverse proxy run daphne with --proxy-headers, so that
# it is the client's, not the proxy's (README, "Production").

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"

# A folder of the city's own templates, looked up before the shipped ones: its
# frontend/legal/imprint.html, privacy.html, accessibility.html replace the legal texts
# (README, "The city's identity").
LEGAL_TEMPLATES_DIR = os.environ.get("LEGAL_TEMPLATES_DIR", "")
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [Path(LEGAL_TEMPLATES_DIR)] if LEGAL_TEMPLATES_DIR else [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "frontend.identity.identity_context",
            ],
        },
    },
]

# --- Database: PostgreSQL in production (DATABASE_URL), SQLite as the embedded default.
DATABASE_URL = os.environ.get("DATABASE_URL", "")
# Each process keeps a pool of PostgreSQL connections (psycopg_pool, Django's "pool" option):
# a chat message or an accept borrows one instead of opening its own (a few ms each).
# Checked before use, so a connection that the server dropped is replaced, not handed out.
DATABASE_POOL_SIZE = int(os.environ.get("DATABASE_POOL_SIZE", "10"))
if DATABASE_URL:
    # CONN_HEALTH_CHECKS makes Django check a pooled connection when it is handed out.
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=0, conn_health_checks=True)
    }
    if DATABASE_POOL_SIZE > 0:
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": 1,
            "max_size": DATABASE_POOL_SIZE,
            "timeout": 10,
        }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(BASE_DIR / "var" / "sprechstunde.sqlite3")),
            "OPTIONS": {
                # Write transactions take the lock at BEGIN, so concurrent writers queue
                # instead of failing with "database is locked" halfway through.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The statistics' covering index (INCLUDE) is for PostgreSQL; SQLite builds it without the
# extra columns, which is all the embedded default needs.
# security.W021: HSTS preloading is the city's decision for its whole domain (SECURE_HSTS_PRELOAD).
SILENCED_SYSTEM_CHECKS = ["models.W040", "security.W021"]

# --- Channel layer: Redis when REDIS_URL is set, else in-memory (one process only).
REDIS_URL = os.environ.get("REDIS_URL", "")
# What every key this platform puts into Redis starts with (channel layer, cache, media pool).
CHANNEL_PREFIX = os.environ.get("CHANNEL_PREFIX", "sprechstunde")
if REDIS_URL:
    # CHANNEL_LAYER picks channels-redis's layer: "pubsub" (Redis PUBLISH/SUBSCRIBE, one
    # subscription per process and group, no per-process capacity, no group keys left in
    # Redis by a dead process) or "core" (lists and sorted sets; buffers a message for a
    # channel whose reader is away for up to `expiry`, drops beyond `capacity`).
    CHANNEL_LAYER = os.environ.get("CHANNEL_LAYER", "pubsub")
    if CHANNEL_LAYER not in ("pubsub", "core"):
        raise ImproperlyConfigured('CHANNEL_LAYER must be "pubsub" or "core".')
    # redis-py 8 times out socket reads after 5 s by default, exactly as long as channels-redis
    # blocks in BZPOPMIN: under load every idle receive then fails (django/channels_redis#422).
    # Reads may take longer than the 5 s block. redis-py 8 refuses a command beyond 100
    # connections per process (MaxConnectionsError): a burst of sockets opening or closing at
    # once (a network blip, a crowd arriving) makes more concurrent group operations.
    _layer_config: dict[str, Any] = {
        "hosts": [
            {
                "address": REDIS_URL,
                "socket_timeout": 30,
                "max_connections": int(os.environ.get("REDIS_MAX_CONNECTIONS", "1000")),
            }
        ],
        "prefix": CHANNEL_PREFIX,
    }
    if CHANNEL_LAYER == "core":
        _layer_config.update(capacity=1000, expiry=60)
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": (
                "channels_redis.pubsub.RedisPubSubChannelLayer"
                if CHANNEL_LAYER == "pubsub"
                else "channels_redis.core.RedisChannelLayer"
            ),
            "CONFIG": _layer_config,
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Cache: the live queue views every process reads (consult/queue/rooms.py). Redis when
# REDIS_URL is set (shared by all processes), else this process's memory.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CHANNEL_PREFIX,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "frontend:login"
LOGIN_REDIRECT_URL = "frontend:staff_home"
LOGOUT_REDIRECT_URL = "frontend:login"

# --- Language: German first, English second.
LANGUAGE_CODE = "de"
LANGUAGES = [("de", _("German")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "frontend" / "locale"]
USE_I18N = True
TIME_ZONE = "Europe/Berlin"
USE_TZ = True

# --- Static files: served by WhiteNoise from STATIC_ROOT (collectstatic), no CDN.
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", str(BASE_DIR / "var" / "static")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = env_bool("WHITENOISE_USE_FINDERS", DEBUG)

# --- Security headers.
SESSION_COOKIE_HTTPONLY = True
# A refused form (CSRF) gets the German 403 page in the site's layout.
CSRF_FAILURE_VIEW = "frontend.error_views.csrf_failure"
SESSION_COOKIE_SAMESITE = "Lax"
# With an https SITE_URL, on by default (each can be switched by the environment): cookies only
# over HTTPS, redirect http to https (not /healthz, for monitoring inside the network), HSTS
# for a year, and the scheme from the TLS proxy's X-Forwarded-Proto (nginx in front must set
# it, and strip it from clients: README, "Production").
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", HTTPS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", HTTPS)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
if env_bool("SECURE_PROXY_SSL_HEADER", HTTPS):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000" if HTTPS else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", HTTPS)
# Preloading commits the whole domain to HTTPS in browsers for a long time: the city decides.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
PERMISSIONS_POLICY = "camera=(self), microphone=(self), geolocation=(), payment=(), usb=()"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "media-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- Chat limits (see docs/protocol.md).
CHAT_MAX_MESSAGE_CHARS = 4000
# A frame is JSON; 4,000 characters may take up to 6 bytes each once escaped.
WS_MAX_FRAME_BYTES = 32 * 1024
# Token bucket per websocket connection: burst and sustained frames per second.
WS_RATE_BURST = int(os.environ.get("WS_RATE_BURST", "20"))
WS_RATE_PER_SECOND = float(os.environ.get("WS_RATE_PER_SECOND", "5"))
# The same allowance per credential (a citizen's token, a clerk) over all their sockets and
# processes, counted per window of this many seconds (signaling/ratelimit.py).
WS_RATE_SHARED_WINDOW_SECONDS = float(os.environ.get("WS_RATE_SHARED_WINDOW_SECONDS", "10"))
# Open sockets per citizen token over all processes (signaling/socket_leases.py): a few tabs
# and a reconnect's overlap, not a crowd.
WS_SOCKETS_PER_TOKEN = int(os.environ.get("WS_SOCKETS_PER_TOKEN", "5"))

# --- The operator's /metrics in Prometheus' text format (docs/observability.md): off (404)
# unless this bearer token is set; scrape each daphne process on its own port, inside the
# internal network only.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")

# "text" (the message alone, as `make run` shows it) or "json": one JSON object per line with
# time, level, logger, message and pid (config/logformat.py; docs/observability.md).
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text").strip().lower()
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured('LOG_FORMAT must be "text" or "json".')
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # No citizen's token and no full IPv4 address in any line (config/logfilters.py).
    "filters": {
        "mask_tokens": {"()": "config.logfilters.MaskTokens"},
        "once_per_outage": {"()": "config.logfilters.OncePerOutage"},
    },
    "formatters": {"json": {"()": "config.logformat.PrivateJsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["mask_tokens"],
            **({"formatter": "json"} if LOG_FORMAT == "json" else {}),
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # django-axes logs every login at INFO (masked); failures and lockouts are warnings.
        "axes": {"level": "WARNING"},
        # While Redis is down the pub/sub layer's reader logs a traceback every second.
        "channels_redis.pubsub": {"filters": ["once_per_outage"]},
        # aioice logs every ICE candidate pair at INFO: the browsers' addresses.
        "aioice": {"level": "WARNING"},
    },
}

# --- Public holidays (consult/catalogue/holidays.py): the Bundesland whose holidays close every
# topic and remove appointment slots (BY, BE, NW, …; empty: the nationwide ones only).
PUBLIC_HOLIDAYS_STATE = os.environ.get("PUBLIC_HOLIDAYS_STATE", "BY")

# --- Queueing (see docs/queueing.md).
# A clerk whose console has not been seen for this long gives back their consultations.
QUEUE_GRACE_SECONDS = int(os.environ.get("QUEUE_GRACE_SECONDS", "15"))
# How often a console reports that it is alive; must be well below the grace period.
QUEUE_HEARTBEAT_SECONDS = float(os.environ.get("QUEUE_HEARTBEAT_SECONDS", "5"))
# A clerk who declined or let an offer time out is not offered that consultation again
# for this long.
QUEUE_OFFER_COOLDOWN_SECONDS = int(os.environ.get("QUEUE_OFFER_COOLDOWN_SECONDS", "120"))
# After this many offers in a row timed out, the clerk is set away.
QUEUE_MISSED_OFFERS_AWAY = int(os.environ.get("QUEUE_MISSED_OFFERS_AWAY", "2"))
# Due deadlines (offer timeouts, grace periods) are swept this often; 0 = never.
# One process sweeps: the one holding a PostgreSQL advisory lock (signaling/leader.py).
QUEUE_SWEEP_SECONDS = float(os.environ.get("QUEUE_SWEEP_SECONDS", "1"))
# A waiting citizen whose sockets have all been closed this long leaves the queue as abandoned
# (a reload or a short network loss keeps the place; consult/queue/presence.py).
CITIZEN_GRACE_SECONDS = float(os.environ.get("CITIZEN_GRACE_SECONDS", "60"))
# Handle time assumed for a topic until it has enough history of its own.
QUEUE_DEFAULT_HANDLE_SECONDS = int(os.environ.get("QUEUE_DEFAULT_HANDLE_SECONDS", "300"))

# --- Statistics (see docs/metrics.md).
# Service level: share of requests answered within this many seconds (115: 75 % in 30 s).
SERVICE_LEVEL_SECONDS = int(os.environ.get("SERVICE_LEVEL_SECONDS", "30"))
SHORT_ABANDON_SECONDS = int(os.environ.get("SHORT_ABANDON_SECONDS", "5"))

# --- Video calls (see docs/media.md). No third-party STUN server by default: on one network
# (and on `make run`) host candidates suffice; across networks configure your own STUN/TURN.
# "p2p" (media never touches the server) or "relay" (through the media worker); a topic may
# override it.
RTC_MEDIA_MODE = os.environ.get("RTC_MEDIA_MODE", "p2p")
RTC_STUN_URLS = env_list("RTC_STUN_URLS", "")
# TURN REST credentials (coturn `use-auth-secret` with `static-auth-secret=RTC_TURN_SECRET`):
# each party gets a username "<expiry>:<id>" and an HMAC-SHA1 password valid RTC_TURN_TTL s.
RTC_TURN_URLS = env_list("RTC_TURN_URLS", "")
RTC_TURN_SECRET = os.environ.get("RTC_TURN_SECRET", "")
RTC_TURN_TTL_SECONDS = int(os.environ.get("RTC_TURN_TTL_SECONDS", "3600"))
# Only relay candidates (through TURN): neither party learns the other's IP address.
RTC_FORCE_RELAY = env_bool("RTC_FORCE_RELAY", False)
# Peer-to-peer that has not connected after this long falls back to the server relay.
RTC_P2P_TIMEOUT_SECONDS = float(os.environ.get("RTC_P2P_TIMEOUT_SECONDS", "8"))
# An SDP from a browser is a few KiB; anything this large is refused.
RTC_MAX_SDP_BYTES = 24 * 1024

# --- Media worker (see docs/media.md).
# Embedded: how many worker loops the web process runs. A relay session goes to the
# least-loaded live worker and stays there (signaling/media/pool.py).
MEDIA_WORKERS = int(os.environ.get("MEDIA_WORKERS", "1"))
# Each worker announces itself (and its load) this often; a worker not heard of for
# MEDIA_WORKER_TTL_SECONDS is dead, and its calls move to a live worker.
MEDIA_HEARTBEAT_SECONDS = float(os.environ.get("MEDIA_HEARTBEAT_SECONDS", "1"))
MEDIA_WORKER_TTL_SECONDS = float(os.environ.get("MEDIA_WORKER_TTL_SECONDS", "3"))
if not 0 < MEDIA_HEARTBEAT_SECONDS < MEDIA_WORKER_TTL_SECONDS:
    raise ImproperlyConfigured("MEDIA_HEARTBEAT_SECONDS must be above 0 and below the TTL.")
# Embedded: the web process runs the workers itself (the one-process default without Redis).
MEDIA_WORKER_EMBEDDED = env_bool("MEDIA_WORKER_EMBEDDED", not REDIS_URL)
# ICE servers of the worker's own peer connections, a JSON list, e.g.
# [{"urls": "turn:turn.example.de:3478", "username": "…", "credential": "…"}]; none by default.
MEDIA_ICE_SERVERS = json.loads(os.environ.get("MEDIA_ICE_SERVERS", "[]"))

# --- E-mail (appointment confirmations and reminders). The embedded default writes them to
# files in var/mail/ (a mailbox to read them from), not to the log: they hold personal links.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Sprechstunde <sprechstunde@localhost>")

# --- Appointments (see docs/appointments.md).
# Slots can be booked this many days ahead, and no sooner than this many minutes from now.
APPOINTMENT_BOOKING_DAYS = int(os.environ.get("APPOINTMENT_BOOKING_DAYS", "28"))
APPOINTMENT_LEAD_MINUTES = int(os.environ.get("APPOINTMENT_LEAD_MINUTES", "30"))
# "Join now" is offered from this many minutes before the start ...
APPOINTMENT_JOIN_EARLY_MINUTES = int(os.environ.get("APPOINTMENT_JOIN_EARLY_MINUTES", "5"))
# ... until this many minutes after it; then the appointment is a no-show and the slot free.
APPOINTMENT_NO_SHOW_MINUTES = int(os.environ.get("APPOINTMENT_NO_SHOW_MINUTES", "10"))
# The reminder goes out this many hours before the start (send_reminders).
APPOINTMENT_REMINDER_HOURS = int(os.environ.get("APPOINTMENT_REMINDER_HOURS", "24"))

# --- Website widget: origins (scheme://host[:port]) whose pages may embed the start flow.
WIDGET_ALLOWED_ORIGINS = env_list("WIDGET_ALLOWED_ORIGINS", "")
for _origin in WIDGET_ALLOWED_ORIGINS:
    if not re.fullmatch(r"https?://(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?", _origin):
        raise ImproperlyConfigured(
            f"WIDGET_ALLOWED_ORIGINS: {_origin!r} is not an origin like https://www.example.de"
        )
# Pages that may be shown inside the widget's frame: URL names, or a whole namespace.
# The citizen's whole way: front door, catalogue, navigator, requests, device check, room.
EMBEDDABLE_VIEWS = [
    "frontend:start",
    "frontend:start_consultation",
    "frontend:video_check",
    "frontend:room",
    "frontend:leave",
    "frontend:rate",
    "frontend:catalogue",
    "frontend:service",
    "frontend:navigator",
    "frontend:leave_request",
    "frontend:request_thanks",
    # The legal pages, linked from every page's footer (also inside the widget's frame).
    "frontend:imprint",
    "frontend:privacy",
    "frontend:accessibility",
    "appointments",
    "widget",
]


# --- Retention (see README, "Retention"): days after a consultation ended (for callback
# requests: after they were done) until `manage.py purge_expired` deletes. "never" keeps.
# A topic may set its own periods (Topic.retention_overrides). A new kind needs a key here
# and one line in consult/recording/retention.py (KINDS).
def env_days(name: str, default: str) -> int | None:
    value = os.environ.get(name, default).strip().lower()
    return None if value == "never" else int(value)


RETENTION_DAYS: dict[str, int | None] = {
    "messages": env_days("RETENTION_MESSAGES_DAYS", "90"),
    "recordings": env_days("RETENTION_RECORDINGS_DAYS", "30"),
    "callback_requests": env_days("RETENTION_CALLBACK_REQUESTS_DAYS", "30"),
    "appointments": env_days("RETENTION_APPOINTMENTS_DAYS", "90"),
}
# Where recordings are written (one directory per recording).
RECORDINGS_DIR = Path(os.environ.get("RECORDINGS_DIR", str(BASE_DIR / "var" / "recordings")))
# How often the leading web process registers finished recordings whose live report was lost,
# from the manifests beside the files (consult/recording/reconcile.py); 0: only by
# `manage.py reconcile_recordings`.
RECORDINGS_RECONCILE_SECONDS = float(os.environ.get("RECORDINGS_RECONCILE_SECONDS", "60"))
# --- Documents in the chat (docs/security.md, "Documents"): the types a party may share (by
# content, not name: pdf, jpeg, png), the size and count limits, uploads per party and minute,
# where the files live (outside the static and media roots), the virus scanner (clamd's
# socket: a path, or host:port; empty: no scan).
DOCUMENTS_TYPES = [
    kind.strip().lower()
    for kind in os.environ.get("DOCUMENTS_TYPES", "pdf,jpeg,png").split(",")
    if kind.strip()
]
DOCUMENTS_MAX_BYTES = int(os.environ.get("DOCUMENTS_MAX_MB", "10")) * 1024 * 1024
DOCUMENTS_MAX_PER_CONSULTATION = int(os.environ.get("DOCUMENTS_MAX_PER_CONSULTATION", "20"))
DOCUMENTS_UPLOADS_PER_MINUTE = int(os.environ.get("DOCUMENTS_UPLOADS_PER_MINUTE", "10"))
DOCUMENTS_MAX_PIXELS = int(os.environ.get("DOCUMENTS_MAX_PIXELS", "40000000"))
DOCUMENTS_ROOT = Path(os.environ.get("DOCUMENTS_ROOT", str(BASE_DIR / "var" / "documents")))
if DOCUMENTS_ROOT.resolve().is_relative_to(STATIC_ROOT.resolve()):
    raise ImproperlyConfigured("DOCUMENTS_ROOT must not lie under STATIC_ROOT (served to anyone).")
DOCUMENTS_CLAMD = os.environ.get("DOCUMENTS_CLAMD", "")
DOCUMENTS_CLAMD_TIMEOUT_SECONDS = float(os.environ.get("DOCUMENTS_CLAMD_TIMEOUT_SECONDS", "30"))

# The font of PDF transcripts: DejaVu Sans (Latin, Greek, Cyrillic, Arabic), Debian's
# fonts-dejavu-core (installed by `make run` and `make test` when missing). Without it the
# transcripts fall back to Latin-1.
TRANSCRIPT_FONT_DIR = Path(
    os.environ.get("TRANSCRIPT_FONT_DIR", "/usr/share/fonts/truetype/dejavu")
)

# --- The city's identity (README, "The city's identity"): its name in every page's header,
# its logo (a path under the static files, or an absolute path on this origin such as
# /media-city/logo.svg: never another host), the contact data of the legal pages.
# The texts of Impressum, Datenschutzerklärung and Erklärung zur Barrierefreiheit are the
# templates frontend/legal/*.html, replaceable through LEGAL_TEMPLATES_DIR (TEMPLATES above).
CITY_NAME = os.environ.get("CITY_NAME", "Beispielstadt")
CITY_LOGO = os.environ.get("CITY_LOGO", "frontend/city-logo.svg")
if "://" in CITY_LOGO or CITY_LOGO.startswith("//"):
    raise ImproperlyConfigured(
        "CITY_LOGO: a file under the static files or a path on this origin (/…), "
        "never another host's address."
    )
CITY_ADDRESS = os.environ.get("CITY_ADDRESS", f"Rathausplatz 1\n12345 {CITY_NAME}")
CITY_PHONE = os.environ.get("CITY_PHONE", "+49 1234 5678-0")
CITY_EMAIL = os.environ.get("CITY_EMAIL", "buergerbuero@beispielstadt.de")
# How citizens see the clerk (chat labels, "… ist dem Gespräch beigetreten", the end, the
# transcript): "full" first and last name, "first" the first name, "none" no name, only
# "Sachbearbeitung" (consult/staff/names.py; without a name in the user account: the
# profile's display name).
CLERK_DISPLAY_NAME = os.environ.get("CLERK_DISPLAY_NAME", "first").strip().lower()
if CLERK_DISPLAY_NAME not in {"full", "first", "none"}:
    raise ImproperlyConfigured("CLERK_DISPLAY_NAME: one of full, first, none.")
# The data protection officer (Art. 37 GDPR) and the feedback contact of the accessibility
# statement (Art. 7(1)(b) Directive 2016/2102).
PRIVACY_CONTACT_EMAIL = os.environ.get("PRIVACY_CONTACT_EMAIL", "datenschutz@beispielstadt.de")
ACCESSIBILITY_CONTACT_EMAIL = os.environ.get(
    "ACCESSIBILITY_CONTACT_EMAIL", "barrierefreiheit@beispielstadt.de"
)
# The day the accessibility statement was prepared or last reviewed (YYYY-MM-DD).
ACCESSIBILITY_STATEMENT_DATE = date.fromisoformat(
    os.environ.get("ACCESSIBILITY_STATEMENT_DATE", "2026-12-02")
)
# The default purpose a clerk states when asking to record a video call (the privacy page
# names it); empty: "Dokumentation der Beratung" in the page's language.
RECORDING_PURPOSE = os.environ.get("RECORDING_PURPOSE", "")
