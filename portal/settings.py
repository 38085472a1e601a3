"""Settings for the travel-risk portal, all read from the environment (a `.env` file is read
when present). With nothing set the portal runs on SQLite, an embedded Celery broker and
console e-mail; see the configuration table in README.md."""

from __future__ import annotations

import os
import sys
import urllib.parse
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from portal import config

BASE_DIR = Path(__file__).resolve().parent.parent
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env")

DATA_DIR = Path(os.environ.get("PORTAL_DATA_DIR") or BASE_DIR / "data")

DEBUG = config.parse_bool("DEBUG", os.environ.get("DEBUG"), default=True)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production-0123456789"

ALLOWED_HOSTS = config.parse_list(
    os.environ.get("ALLOWED_HOSTS"), ["localhost", "127.0.0.1", "[::1]", "testserver"]
)
CSRF_TRUSTED_ORIGINS = config.parse_list(os.environ.get("CSRF_TRUSTED_ORIGINS"), [])

INSTALLED_APPS = [
    "portal.admin_site.PortalAdminConfig",  # django.contrib.admin, 403 for non-staff
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "csp",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    # The floors, from the ground up: each imports only those above it in this list
    # (tests/test_import_graph.py); `portal` is the roof.
    "core",
    "advisories",
    "trips",
    "bookings",
    "incidents",
    "briefings",
    "portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.middleware.RefuseNulMiddleware",
    # Every response: the Content-Security-Policy, Permissions-Policy and, on everything but
    # the public API description, Cache-Control: no-store (static files never get here).
    "csp.middleware.CSPMiddleware",
    "core.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.middleware.SessionIdleMiddleware",
    "core.middleware.ViewerTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.middleware.LoginRequiredMiddleware",
    "core.middleware.RoleRequiredMiddleware",
    "core.audit.AuditRequestMiddleware",
    # Last, as django-axes asks: it turns a lockout into its response.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # Checks the lockout before any password is compared (core.accounts.PortalAxesHandler).
    "axes.backends.AxesStandaloneBackend",
    # Passwords, for everyone or only superusers (PASSWORD_LOGIN); then single sign-on.
    "core.sso.PasswordBackend",
    "core.sso.PortalOIDCBackend",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
                "core.context_processors.roles",
                "core.sso.login_options",
            ],
        },
    },
]

DATABASES = {
    "default": config.parse_database_url(
        os.environ.get("DATABASE_URL"), DATA_DIR / "portal.sqlite3"
    )
}
# runserver (`make run`) serves each request on a thread of its own that ends with it: a
# connection kept for the next request of that thread is never reused, only left open until
# PostgreSQL refuses other clients (issue 23: 99 open after 200 requests). gunicorn's threads
# live on and reuse theirs (README, "Deploying": the pool that makes).
if sys.argv[1:2] == ["runserver"]:
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

# --- single sign-on with the company's OpenID Connect provider (core.sso, on
# mozilla-django-oidc): on when OIDC_CLIENT_ID is set. OIDC_ISSUER finds the endpoints by
# discovery; without it, name the four endpoints.
OIDC_ISSUER = os.environ.get("OIDC_ISSUER", "").strip().rstrip("/")
OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ.get("OIDC_AUTHORIZATION_ENDPOINT", "")
OIDC_OP_TOKEN_ENDPOINT = os.environ.get("OIDC_TOKEN_ENDPOINT", "")
OIDC_OP_USER_ENDPOINT = os.environ.get("OIDC_USERINFO_ENDPOINT", "")
OIDC_OP_JWKS_ENDPOINT = os.environ.get("OIDC_JWKS_URI", "")
OIDC_RP_CLIENT_ID = os.environ.get("OIDC_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = os.environ.get("OIDC_CLIENT_SECRET", "")
OIDC_RP_SIGN_ALGO = os.environ.get("OIDC_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = os.environ.get("OIDC_SCOPES", "openid email profile")
OIDC_PROVIDER_NAME = os.environ.get("OIDC_PROVIDER_NAME", "your company account")
OIDC_ROLE_CLAIM = os.environ.get("OIDC_ROLE_CLAIM", "groups")
# The four roles of core.roles.ROLES (that module needs the app registry, not loaded yet).
OIDC_ROLE_MAP = config.parse_role_map(
    "OIDC_ROLE_MAP",
    os.environ.get("OIDC_ROLE_MAP"),
    ("Employee", "Travel arranger", "Security manager", "Content admin"),
)
if OIDC_RP_CLIENT_ID:
    if not OIDC_RP_CLIENT_SECRET:
        raise ImproperlyConfigured("OIDC_CLIENT_ID is set: set OIDC_CLIENT_SECRET too")
    endpoints = (
        OIDC_OP_AUTHORIZATION_ENDPOINT,
        OIDC_OP_TOKEN_ENDPOINT,
        OIDC_OP_USER_ENDPOINT,
        OIDC_OP_JWKS_ENDPOINT,
    )
    if not OIDC_ISSUER and not all(endpoints):
        raise ImproperlyConfigured(
            "OIDC_CLIENT_ID is set: set OIDC_ISSUER, or OIDC_AUTHORIZATION_ENDPOINT, "
            "OIDC_TOKEN_ENDPOINT, OIDC_USERINFO_ENDPOINT and OIDC_JWKS_URI"
        )
OIDC_USE_PKCE = True
OIDC_TIMEOUT = 5
OIDC_CREATE_USER = True
OIDC_AUTHENTICATION_CALLBACK_URL = "oidc_authentication_callback"
# `superusers`: the password form is the break-glass way in for superusers only.
PASSWORD_LOGIN = config.parse_choice(
    "PASSWORD_LOGIN", os.environ.get("PASSWORD_LOGIN"), ("all", "superusers"), "all"
)

LANGUAGE_CODE = "en-gb"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True
# One way to write dates everywhere, the admin too: "Tue 8 Dec 2026", "Tue 8 Dec 2026, 14:05 CET"
# (core.lib.dates for our own pages and e-mails). The locale's formats would win over plain
# DATE_FORMAT settings, so they are set in a format module of our own as well.
FORMAT_MODULE_PATH = ["portal.formats"]
DATE_FORMAT = "D j M Y"
DATETIME_FORMAT = "D j M Y, H:i T"
SHORT_DATE_FORMAT = "D j M Y"
SHORT_DATETIME_FORMAT = "D j M Y, H:i T"

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns when it is missing
STATICFILES_DIRS = [BASE_DIR / "static"]

PRIVATE_STORAGE_ROOT = Path(os.environ.get("PRIVATE_STORAGE_ROOT") or DATA_DIR / "private")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
    # Briefing PDFs: never under a public URL (base_url None); swap the backend for S3 in
    # production with PRIVATE_STORAGE_BACKEND.
    "private": {
        "BACKEND": os.environ.get(
            "PRIVATE_STORAGE_BACKEND", "django.core.files.storage.FileSystemStorage"
        ),
        "OPTIONS": {"location": str(PRIVATE_STORAGE_ROOT), "base_url": None}
        if "PRIVATE_STORAGE_BACKEND" not in os.environ
        else {},
    },
}

vars().update(config.parse_email_url(os.environ.get("EMAIL_URL")))
DEFAULT_FROM_EMAIL = os.environ.get(
    "DEFAULT_FROM_EMAIL", "Travel risk portal <travel-risk@localhost>"
)
PORTAL_BASE_URL = os.environ.get("PORTAL_BASE_URL", "http://127.0.0.1:8000")
# Briefing e-mails carry a link to the portal; the PDF itself only when a company asks for it
# (a briefing is personal data, and mailboxes are less private than the portal).
BRIEFING_EMAIL_ATTACHMENT = config.parse_bool(
    "BRIEFING_EMAIL_ATTACHMENT", os.environ.get("BRIEFING_EMAIL_ATTACHMENT"), False
)

# --- bookings by e-mail (bookings.mail): the django-anymail provider whose inbound webhook
# receives booking e-mails ("mailgun", "postmark", "sendgrid", ...; off when unset), at
# /bookings/inbound/<provider>/inbound/. Anymail's own settings come from the environment's
# ANYMAIL_* variables (ANYMAIL_WEBHOOK_SECRET="user:password" for the webhook's basic auth,
# ANYMAIL_MAILGUN_WEBHOOK_SIGNING_KEY, ...), and anymail checks them on every call.
BOOKINGS_INBOUND = os.environ.get("BOOKINGS_INBOUND", "").strip().lower()
ANYMAIL = {
    name.removeprefix("ANYMAIL_"): value
    for name, value in os.environ.items()
    if name.startswith("ANYMAIL_") and value
}
# What reads booking e-mails: "kitinerary" (KDE Itinerary's extractor, when installed) or
# "markup" (schema.org markup alone, with extruct); unset, the extractor when it is found.
BOOKINGS_EXTRACTOR = os.environ.get("BOOKINGS_EXTRACTOR", "").strip().lower()

# --- security: secure by default once DEBUG is off; a TLS-terminating proxy sets
# USE_X_FORWARDED_PROTO so Django trusts its X-Forwarded-Proto header.
if config.parse_bool("USE_X_FORWARDED_PROTO", os.environ.get("USE_X_FORWARDED_PROTO"), False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = config.parse_bool(
    "SECURE_SSL_REDIRECT", os.environ.get("SECURE_SSL_REDIRECT"), not DEBUG
)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = config.parse_int(
    "SECURE_HSTS_SECONDS", os.environ.get("SECURE_HSTS_SECONDS"), 0 if DEBUG else 31536000
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Probes call /healthz/ over plain HTTP from inside the network, behind the TLS proxy.
SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]

# A tile server for street detail on the maps (`https://tiles.example.com/{z}/{x}/{y}.png`).
# Unset, the maps draw only the Natural Earth outlines the portal serves itself, and no page
# makes a request anywhere else; set, its origin (and only then) is allowed in img-src below.
MAP_TILE_URL = os.environ.get("MAP_TILE_URL", "").strip()
MAP_TILE_ORIGIN = ""
if MAP_TILE_URL:
    _tiles = urllib.parse.urlsplit(MAP_TILE_URL)
    if _tiles.scheme not in {"https", "http"} or not _tiles.netloc or "{z}" not in MAP_TILE_URL:
        raise ImproperlyConfigured(
            f"MAP_TILE_URL={MAP_TILE_URL!r} must be an http(s) address with {{z}}, {{x}} and "
            "{y} in it, e.g. https://tiles.example.com/{z}/{x}/{y}.png"
        )
    # Leaflet's {s} picks a subdomain (a.tiles..., b.tiles...): any subdomain of the rest.
    MAP_TILE_ORIGIN = f"{_tiles.scheme}://{_tiles.netloc.replace('{s}', '*')}"

# Content-Security-Policy (django-csp): scripts and styles only from our own static files, no
# inline script or style anywhere (the admin and the API docs included), nothing framed.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # Swagger UI's and the admin's stylesheets draw their icons as data: SVGs.
        "img-src": ["'self'", "data:", *([MAP_TILE_ORIGIN] if MAP_TILE_ORIGIN else [])],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Browser features no page of the portal uses, refused for it and anything it might embed.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
)

# Sessions end after SESSION_IDLE_TIMEOUT seconds without a request (core.middleware.
# SessionIdleMiddleware renews the expiry on activity), and when the browser closes.
SESSION_IDLE_TIMEOUT = config.parse_int(
    "SESSION_IDLE_TIMEOUT", os.environ.get("SESSION_IDLE_TIMEOUT"), 8 * 60 * 60
)
if SESSION_IDLE_TIMEOUT <= 0:
    raise ImproperlyConfigured(f"SESSION_IDLE_TIMEOUT={SESSION_IDLE_TIMEOUT} must be positive")
SESSION_COOKIE_AGE = SESSION_IDLE_TIMEOUT
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Password-reset e-mails: at most this many an hour from one address, and to one account
# (core.accounts.PasswordResetView); past that the form answers as usual but sends nothing.
PASSWORD_RESET_LIMIT_PER_IP = config.parse_int(
    "PASSWORD_RESET_LIMIT_PER_IP", os.environ.get("PASSWORD_RESET_LIMIT_PER_IP"), 10
)
PASSWORD_RESET_LIMIT_PER_EMAIL = config.parse_int(
    "PASSWORD_RESET_LIMIT_PER_EMAIL", os.environ.get("PASSWORD_RESET_LIMIT_PER_EMAIL"), 3
)

# One cache for the API's and the password reset's rate limits. With several web processes
# set CACHE_URL (redis://host:port/db) so that they count together; the default counts per
# process.
CACHES = {"default": config.parse_cache_url(os.environ.get("CACHE_URL"))}

# --- privacy: a trip's personal details are erased this many days after it ended
# (portal.privacy.trips_erase_expired, daily). Countries and dates stay: stay limits count them.
PERSONAL_DATA_RETENTION_DAYS = config.parse_int(
    "PERSONAL_DATA_RETENTION_DAYS", os.environ.get("PERSONAL_DATA_RETENTION_DAYS"), 365
)
if PERSONAL_DATA_RETENTION_DAYS < 1:
    raise ImproperlyConfigured(
        f"PERSONAL_DATA_RETENTION_DAYS={PERSONAL_DATA_RETENTION_DAYS} must be at least 1"
    )

# --- django-axes: lock an account out after repeated failed logins
# How many reverse proxies (load balancer, nginx) sit in front of gunicorn and append to
# X-Forwarded-For; the audit trail and the lockout take the client's address from there.
TRUSTED_PROXY_COUNT = config.parse_int(
    "TRUSTED_PROXY_COUNT", os.environ.get("TRUSTED_PROXY_COUNT"), 0
)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured(f"TRUSTED_PROXY_COUNT={TRUSTED_PROXY_COUNT} cannot be negative")
AXES_CLIENT_IP_CALLABLE = "core.audit.client_ip"
AXES_FAILURE_LIMIT = config.parse_int("AXES_FAILURE_LIMIT", os.environ.get("AXES_FAILURE_LIMIT"), 5)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# Beside the per-address lockout, one account is locked after this many failures from all
# addresses together (an attack spread over many machines); higher, so that a stranger cannot
# lock a colleague out as cheaply.
AXES_USERNAME_FAILURE_LIMIT = config.parse_int(
    "AXES_USERNAME_FAILURE_LIMIT", os.environ.get("AXES_USERNAME_FAILURE_LIMIT"), 20
)
AXES_HANDLER = "core.accounts.PortalAxesHandler"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The API's lockout answers in its own JSON error shape; pages get the template above.
AXES_LOCKOUT_CALLABLE = "core.accounts.lockout_response"

# --- API tokens (django-rest-knox): stored hashed, expiring, listed and revoked by their owner
API_TOKEN_TTL_HOURS = config.parse_int(
    "API_TOKEN_TTL_HOURS", os.environ.get("API_TOKEN_TTL_HOURS"), 24 * 30
)
if API_TOKEN_TTL_HOURS <= 0:
    raise ImproperlyConfigured(f"API_TOKEN_TTL_HOURS={API_TOKEN_TTL_HOURS} must be positive")
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=API_TOKEN_TTL_HOURS),
    "AUTH_HEADER_PREFIX": "Token",
}
# Requests per minute through the API, per signed-in user and per client address (an office
# behind one NAT shares its address: keep that one generous); token requests per address.
API_THROTTLE_RATES = {
    "user": config.parse_rate(
        "API_THROTTLE_USER", os.environ.get("API_THROTTLE_USER"), "240/minute"
    ),
    "ip": config.parse_rate("API_THROTTLE_IP", os.environ.get("API_THROTTLE_IP"), "1200/minute"),
    "token": config.parse_rate(
        "API_THROTTLE_TOKEN", os.environ.get("API_THROTTLE_TOKEN"), "20/minute"
    ),
}

# --- REST framework and the OpenAPI schema
REST_FRAMEWORK = {
    # Token first: DRF takes the WWW-Authenticate header from the first class, and only with
    # one does it answer an anonymous request 401 (contracts.md) rather than 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "core.permissions.HasPortalRole",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "core.parsers.JSONObjectParser",
        # Forms for the browsable API; no multipart: no endpoint takes a file.
        "rest_framework.parsers.FormParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "core.throttling.UserThrottle",
        "core.throttling.AddressThrottle",
    ],
    # Dates out as YYYY-MM-DD through date.isoformat() (DRF's "iso-8601"): the same text
    # as "%Y-%m-%d", without a strftime call for each of a list page's hundreds of dates.
    "DATE_FORMAT": "iso-8601",
    "DATE_INPUT_FORMATS": ["%Y-%m-%d"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Travel-risk portal API",
    "DESCRIPTION": "Trips, assessments, approvals, briefings and advisory content.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Served from our own static files: no CDN behind a corporate proxy.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a `status`: one name each in the schema, not a hash.
    "ENUM_NAME_OVERRIDES": {
        "TripStatusEnum": "trips.models.TripStatus",
        "BriefingStatusEnum": "briefings.models.BriefingStatus",
        "CheckStatusEnum": "incidents.models.CheckStatus",
        "SafetyStatusEnum": "incidents.models.SafetyStatus",
    },
}

# --- Celery: the `portal` app reads every CELERY_* setting here
CELERY_BROKER_URL, CELERY_BROKER_TRANSPORT_OPTIONS = config.parse_broker_url(
    os.environ.get("CELERY_BROKER_URL"), DATA_DIR
)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SOFT_TIME_LIMIT = 120
CELERY_TASK_TIME_LIMIT = 180
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = config.parse_bool(
    "CELERY_TASK_ALWAYS_EAGER", os.environ.get("CELERY_TASK_ALWAYS_EAGER"), False
)
CELERY_TASK_EAGER_PROPAGATES = True
# Where tasks go, including those a task enqueues (a safety check's batches): workers consume
# it (`-Q`). The integration tests give each run a queue of its own through this.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_TASK_DEFAULT_QUEUE") or "celery"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "complete-past-trips": {
        "task": "trips.tasks.complete_past_trips",
        "schedule": crontab(minute=15),
    },
    "briefing-reminders": {
        "task": "briefings.tasks.send_reminders",
        "schedule": crontab(hour=7, minute=0),
    },
    "requirement-reminders": {
        "task": "trips.tasks.send_requirement_reminders",
        "schedule": crontab(hour=7, minute=5),
    },
    "erase-expired-personal-data": {
        "task": "portal.tasks.erase_expired_personal_data",
        "schedule": crontab(hour=3, minute=30),
    },
    # A render whose worker died is re-queued within a minute (its heartbeat stops), and
    # trips a lost re-assessment missed are re-assessed.
    "requeue-stuck-briefings": {
        "task": "briefings.tasks.requeue_stuck_briefings",
        "schedule": 30.0,
        "options": {"expires": 25},
    },
    # Work recorded while the broker was down (core.outbox); a late pass is useless.
    "relay-outbox": {
        "task": "portal.tasks.relay_outbox",
        "schedule": 5.0,
        "options": {"expires": 5},
    },
    # Travellers arriving into an open incident, including trips filed after it was declared.
    "incident-alerts": {
        "task": "incidents.tasks.alert_open_incidents",
        "schedule": crontab(minute=40),
    },
    # Public hazard feeds configured in the admin, each polled when its interval says.
    "hazard-feeds": {
        "task": "incidents.tasks.poll_hazard_feeds",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Watched official sources: each is polled when due (daily by default, later after
    # failures: advisories.watch.services), so an hourly pass is polite and timely.
    "watch-sources": {
        "task": "advisories.tasks.poll_watched_sources",
        "schedule": crontab(minute=25),
        "options": {"expires": 3000},
    },
    # The scheduler's heartbeat, read by /healthz/ (portal.health).
    "scheduler-heartbeat": {
        "task": "portal.tasks.scheduler_heartbeat",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Safety checks: the silent asked again each interval, escalated after the last cycle,
    # lost sends re-queued. A late tick is replaced by the next one.
    "safety-checks-tick": {
        "task": "incidents.check_tasks.checks_tick",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
}

# /healthz/ (portal.health): how long each probe may take, how long its answer is reused
# (one caller refreshes it, the others read it), and how old the scheduler's heartbeat (sent
# every minute) may be before the scheduler counts as down.
HEALTH_TIMEOUT_SECONDS = 2.0
HEALTH_CACHE_SECONDS = 5.0
HEALTH_SCHEDULER_MAX_AGE_SECONDS = config.parse_int(
    "HEALTH_SCHEDULER_MAX_AGE", os.environ.get("HEALTH_SCHEDULER_MAX_AGE"), 300
)

# Answer links and calendar feeds carry their secret in the path: portal.logging masks it on
# every logger that writes request paths. gunicorn's access log (make serve) is written by the
# "access" handler below once Django is set up in a worker: it replaces gunicorn's own handler
# (same stream, same bare format), so every access line passes the filter.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"hide_url_secrets": {"()": "portal.logging.HideURLSecrets"}},
    "formatters": {
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
        "bare": {"format": "%(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["hide_url_secrets"]},
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["hide_url_secrets"],
        },
        "access": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "bare",
            "filters": ["hide_url_secrets"],
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "fontTools": {"level": "WARNING"},
        "weasyprint": {"level": "ERROR"},
        "django.server": {
            "handlers": ["django.server"],
            "level": "INFO",
            "propagate": False,
            "filters": ["hide_url_secrets"],
        },
        "django.request": {"filters": ["hide_url_secrets"]},
        "gunicorn.access": {
            "handlers": ["access"],
            "level": "INFO",
            "propagate": False,
            "filters": ["hide_url_secrets"],
        },
    },
}
AXES_VERBOSE = False
