"""Huiguan settings, read from the environment.

With nothing set, the app runs on the embedded default: SQLite in WAL mode, Celery tasks
executed eagerly, mail printed to the console. Setting DATABASE_URL / CELERY_BROKER_URL /
EMAIL_URL switches to PostgreSQL, a real broker and SMTP without code changes.
"""

from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("HUIGUAN_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not (DEBUG or env.bool("HUIGUAN_TESTING", default=False)):
        # SystemExit, not ImproperlyConfigured: manage.py swallows the latter while loading settings
        # and then fails with an unrelated "Models aren't loaded yet".
        raise SystemExit("SECRET_KEY must be set when DEBUG is off (for development: DEBUG=1, or use make run).")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "common",
    "organizations",
    "audit",
    "events",
    "registrations",
    "checkin",
    "voices",
    "notifications",
    # desks: each audience's screens and the use cases that span apps
    "pages",
    "organizer",
    "privacy",
    "reports",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "common.middleware.QueryLanguageMiddleware",
    "common.middleware.RequestSizeLimitMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "audit.context.ClientAddressMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = env.str("ROOT_URLCONF", default="backend.urls")  # bench/ adds a baseline view

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
            ],
        },
    },
]

WSGI_APPLICATION = "backend.wsgi.application"

# --- Database -------------------------------------------------------------------------------
# Unset DATABASE_URL → a local SQLite file. WAL lets readers run beside the writer, IMMEDIATE
# transactions take the write lock up front (so two writers queue instead of one failing with
# "database is locked" on lock upgrade), and the busy timeout is how long a writer waits.
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'huiguan.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": env.int("SQLITE_BUSY_TIMEOUT_SECONDS", default=30),
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        }
    )
else:
    # Persistent connections: opening one costs more than a whole check-in.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # An unreachable (not refusing) server costs a request this long, then it answers 503.
        DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
            "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5)
        )
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # JIT compilation costs more than it saves on these short queries (0.7 s on a report CSV).
        DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# While the database cannot be reached, pages and the API answer 503 with this Retry-After (common/outage.py).
DATABASE_OUTAGE_RETRY_AFTER = env.int("DATABASE_OUTAGE_RETRY_AFTER", default=10)
DATABASES["default"].setdefault("TEST", {})

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------------
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://huiguan")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # Redis down or restarting → cache misses, not 500s (common/cache.py). Short socket timeouts,
    # so an unreachable (not just refusing) Redis costs a request a moment, not the worker's timeout.
    CACHES["default"]["BACKEND"] = "common.cache.ResilientRedisCache"
    CACHES["default"].setdefault("OPTIONS", {})
    CACHES["default"]["OPTIONS"].setdefault("socket_connect_timeout", env.float("CACHE_CONNECT_TIMEOUT", default=0.5))
    CACHES["default"]["OPTIONS"].setdefault("socket_timeout", env.float("CACHE_TIMEOUT", default=1.0))

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Languages ------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("zh-hans", _("Simplified Chinese")),
    ("ja", _("Japanese")),
]
# Languages content can be written in. Adding one here needs no migration: translated fields
# are JSON objects keyed by language code.
CONTENT_LANGUAGES = env.list("CONTENT_LANGUAGES", default=[code for code, _name in LANGUAGES])
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
DEFAULT_EVENT_TIMEZONE = env.str("DEFAULT_EVENT_TIMEZONE", default="Asia/Shanghai")
# Share of a course's held sessions a participant must attend for a certificate (reports app).
# Registrations of events that ended this many days ago are anonymised by the daily beat task.
ANONYMISE_AFTER_DAYS = env.int("ANONYMISE_AFTER_DAYS", default=365)
if ANONYMISE_AFTER_DAYS < 1:
    raise SystemExit("ANONYMISE_AFTER_DAYS must be at least 1.")

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").exists() else []
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Uploaded files (event images) served by Django itself: on in the embedded default (DEBUG); in
# production a reverse proxy serves MEDIA_ROOT at MEDIA_URL, or set SERVE_MEDIA=1 for a small site.
SERVE_MEDIA = env.bool("SERVE_MEDIA", default=DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str("STATICFILES_STORAGE", default="django.contrib.staticfiles.storage.StaticFilesStorage")
    },
}

# --- Input limits -----------------------------------------------------------------------------
# A request body (JSON or form) may be this large; more answers 413. The largest real ones are an
# offline batch of 500 scans (~150 KB) and an event described in three languages (~200 KB).
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = env.int("DATA_UPLOAD_MAX_NUMBER_FIELDS", default=1000)
FILE_UPLOAD_MAX_MEMORY_SIZE = env.int("FILE_UPLOAD_MAX_MEMORY_SIZE", default=2 * 1024 * 1024)
# Event images (events/images.py): bytes, and pixels so a small file cannot decode into gigabytes.
EVENT_IMAGE_MAX_BYTES = env.int("EVENT_IMAGE_MAX_BYTES", default=5 * 1024 * 1024)
EVENT_IMAGE_MAX_PIXELS = env.int("EVENT_IMAGE_MAX_PIXELS", default=25_000_000)
EVENT_IMAGE_MAX_SIDE = env.int("EVENT_IMAGE_MAX_SIDE", default=10_000)

# --- REST framework -------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "organizations.auth.CachedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    # JSON only: every endpoint takes JSON (the schema says so), except uploads, which opt in to multipart.
    "DEFAULT_PARSER_CLASSES": ["common.parsers.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "common.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "common.schema.AutoSchema",
    "EXCEPTION_HANDLER": "common.exceptions.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
TOKEN_CACHE_SECONDS = env.int("TOKEN_CACHE_SECONDS", default=60)
# Rate limits (common/throttling.py); an empty value switches one off.
THROTTLE_RATES = {
    "register_ip": env.str("THROTTLE_REGISTER_IP", default="30/min") or None,
    "register_email": env.str("THROTTLE_REGISTER_EMAIL", default="10/hour") or None,
    "checkin": env.str("THROTTLE_CHECKIN", default="1200/min") or None,
    # Residents' comments and demands (voices/): per client address and per email left with them.
    "voice_ip": env.str("THROTTLE_VOICE_IP", default="10/hour") or None,
    "voice_email": env.str("THROTTLE_VOICE_EMAIL", default="5/hour") or None,
    # Failed logins (admin and scanner), per client address and per username.
    "login_ip": env.str("THROTTLE_LOGIN_IP", default="30/hour") or None,
    "login_username": env.str("THROTTLE_LOGIN_USERNAME", default="10/hour") or None,
    # ... and per browser that has logged in as that username before (common/throttling.py).
    "login_device": env.str("THROTTLE_LOGIN_DEVICE", default="10/hour") or None,
}
LOGIN_DEVICE_COOKIE_AGE = env.int("LOGIN_DEVICE_COOKIE_AGE", default=180 * 24 * 3600)
# Proxies in front that append X-Forwarded-For, for client addresses. 0 (not None): with None DRF
# takes X-Forwarded-For as sent, so any client could name its own address and dodge the limits.
REST_FRAMEWORK["NUM_PROXIES"] = env.int("NUM_PROXIES", default=0)
SPECTACULAR_SETTINGS = {
    "TITLE": "Huiguan API",
    "DESCRIPTION": "Multilingual events and courses: browse, register, check in, report.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "EventKindEnum": "events.models.Event.Kind",
        "EventStatusEnum": "events.models.Event.Status",
        "SessionStatusEnum": "events.models.Session.Status",
        "QuestionKindEnum": "events.models.Question.Kind",
        "RegistrationStatusEnum": "registrations.models.Registration.Status",
        "ContentLanguageEnum": "common.i18n.CONTENT_LANGUAGE_CHOICES",
        "NoticeCategoryEnum": "notifications.models.Notice.Category",
    },
}

# --- Celery ---------------------------------------------------------------------------------
# No broker configured → tasks run in-process at once (the embedded default).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = env.bool("CELERY_TASK_EAGER_PROPAGATES", default=False)
# A host in the URL, else kombu warns "No hostname was supplied" on every eager apply_async.
CELERY_BROKER_URL = CELERY_BROKER_URL or "memory://localhost/"
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
# List mail (notifications/listsend.py) has its own queue, so a 100,000-copy bulletin never holds
# up a confirmation or a refund. A plain worker consumes both queues (both are declared here); the
# `list-worker` of docker/entrypoint.sh consumes only the lists, several chunks at once in threads
# (a copy waits on the relay and on its committed mark, not on the CPU).
LIST_QUEUE = "lists"
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = (Queue("celery"), Queue(LIST_QUEUE))
CELERY_TASK_ROUTES = {
    "notifications.tasks.prepare_list_message": {"queue": LIST_QUEUE},
    "notifications.tasks.send_list_chunk": {"queue": LIST_QUEUE},
}
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# When the broker connection drops (Redis restarting), let running tasks finish rather than
# cancelling them (Celery 6 changes this default to True): a notification cancelled between its
# claim and the end of the SMTP transaction would stay "sending", its delivery unknown. Redelivered
# messages are harmless either way: every task checks its row first.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Retry a lost broker forever (Celery's default gives up after 100 attempts, ~45 minutes, and the
# worker exits): a long Redis outage ends with the worker carrying on, not waiting for a restart.
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# Redis brokers go through backend/broker.py: kombu 5.7 can turn a closed connection into an
# AttributeError that stops the worker ("Unrecoverable error"); there it is a connection error,
# and the worker reconnects.
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT = "backend.broker:Transport"
# Bounded socket waits on the broker. Without them a Redis that hangs instead of refusing (a
# failover, a network cut, a stopped VM) hangs every request that publishes after its commit,
# until gunicorn kills the worker: the change is saved but the client never hears so. With them
# the publish fails after a few seconds and the outbox row waits for the sweeper. (Redis only:
# the worker's BRPOP polls every second, well inside socket_timeout.)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": env.float("BROKER_CONNECT_TIMEOUT", default=2.0),
    "socket_timeout": env.float("BROKER_SOCKET_TIMEOUT", default=3.0),
}
# The outbox sweeper (beat): how often it runs, and how long past its due time a pending row is
# left to its own queued task first. Lower them to recover faster from a lost broker queue.
NOTIFICATION_SWEEP_SECONDS = env.float("NOTIFICATION_SWEEP_SECONDS", default=60.0)
NOTIFICATION_SWEEP_GRACE_SECONDS = env.float("NOTIFICATION_SWEEP_GRACE_SECONDS", default=120.0)

# List sending (notifications/listsend.py): recipients per chunk (one task, one SMTP connection),
# how long a claimed chunk is its worker's before the sweeper resumes it, the pace of each chunk
# being sent (messages per second, 0: as fast as the relay takes them; a list worker sends
# LIST_WORKER_THREADS chunks at once), and a cap of messages per sliding window across all
# workers for relays that limit senders (0: none).
LIST_CHUNK_SIZE = env.int("LIST_CHUNK_SIZE", default=250)
LIST_CHUNK_LEASE_SECONDS = env.float("LIST_CHUNK_LEASE_SECONDS", default=120.0)
LIST_CHUNK_MAX_ATTEMPTS = env.int("LIST_CHUNK_MAX_ATTEMPTS", default=5)
LIST_SEND_RATE = env.float("LIST_SEND_RATE", default=0.0)
LIST_SEND_WINDOW_CAP = env.int("LIST_SEND_WINDOW_CAP", default=0)
LIST_SEND_WINDOW_SECONDS = env.float("LIST_SEND_WINDOW_SECONDS", default=3600.0)
# Permanent (5xx) failures after which an address gets no more list mail.
LIST_SUPPRESS_AFTER = env.int("LIST_SUPPRESS_AFTER", default=3)

# --- Email ----------------------------------------------------------------------------------
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Huiguan <noreply@huiguan.local>")

# --- Payments (Stripe) ------------------------------------------------------------------------
# Without STRIPE_SECRET_KEY the app runs; paid events then say online payment is unavailable.
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env.str("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="")  # only to point the client at a local stub
STRIPE_MAX_NETWORK_RETRIES = env.int("STRIPE_MAX_NETWORK_RETRIES", default=2)

# --- Security (production values come from the environment) ---------------------------------
# X-Forwarded-Proto says "this came in over HTTPS" only when a proxy we run sets it (and strips a
# client's own): otherwise any client could claim HTTPS with the header, and secure-only redirects,
# HSTS and CSRF's HTTPS referer check would take its word. So it follows the proxy setting
# (NUM_PROXIES > 0), or TRUST_X_FORWARDED_PROTO for a proxy that sets the protocol but not X-Forwarded-For.
_trust_proto = env.str("TRUST_X_FORWARDED_PROTO", default="")  # empty (compose passes it so): follow NUM_PROXIES
TRUST_X_FORWARDED_PROTO = env.bool("TRUST_X_FORWARDED_PROTO") if _trust_proto else REST_FRAMEWORK["NUM_PROXIES"] > 0
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRUST_X_FORWARDED_PROTO else None
# Probes (the compose healthcheck, a load balancer) ask over plain HTTP from inside.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=SECURE_HSTS_SECONDS > 0)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp) on every response: scripts, styles, fonts and fetches from
# our own origin only, no inline script or style (templates load files from static/). Images may
# also be data:/blob: (QR codes, the scanner's camera frames). Stripe Checkout is reached by a
# redirect, which form-action must allow when a form's POST leads there. /api/docs/ (Swagger UI,
# served by us) allows inline styles on that view only. CSP_REPORT_URI sends violation reports somewhere.
STRIPE_CHECKOUT_ORIGIN = "https://checkout.stripe.com"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'", STRIPE_CHECKOUT_ORIGIN],
        **({"report-uri": [env.str("CSP_REPORT_URI")]} if env.str("CSP_REPORT_URI", default="") else {}),
    },
}

# LOG_FORMAT=json gives one JSON object per line (for a log collector); text otherwise.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": env.str("LOG_FORMAT", default="text")},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# --- Ticket codes ---------------------------------------------------------------------------
# Ed25519 key that signs the QR codes on tickets (registrations/tickets.py): a PEM private key
# (literal "\n" escapes are fine in .env files) or a base64url raw 32-byte seed, e.g.
#   python -c "import base64, secrets; print(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())"
# Unset → a key generated on first use into TICKET_SIGNING_KEY_FILE (0600, under the git-ignored
# var/ directory); several hosts must then share that file. Rotating the key voids every issued QR code.
TICKET_SIGNING_KEY = env.str("TICKET_SIGNING_KEY", default="", multiline=True)
TICKET_SIGNING_KEY_FILE = Path(
    env.str("TICKET_SIGNING_KEY_FILE", default=str(VAR_DIR / "keys" / "ticket-signing-ed25519.pem"))
)

if env.bool("HUIGUAN_TESTING", default=False):
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True
    # Tests hammer endpoints from one address on purpose; the rate-limit tests switch them on.
    THROTTLE_RATES = dict.fromkeys(THROTTLE_RATES)
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
