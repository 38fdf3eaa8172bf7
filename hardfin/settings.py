"""Settings for Hardfin Inventory, read from the environment (twelve-factor).

DATABASE_URL   any dj-database-url form; unset = a SQLite file in the project folder
SECRET_KEY     required unless DEBUG is on
DEBUG          1/0/true/false (default false)
ALLOWED_HOSTS  comma-separated (default: localhost names when DEBUG is on)
SECURE_SSL_REDIRECT  1/0/true/false (default false; turn on behind an HTTPS proxy)
SECURE_HSTS_SECONDS, SECURE_HSTS_INCLUDE_SUBDOMAINS, SECURE_HSTS_PRELOAD  HSTS, sent only with
               SECURE_SSL_REDIRECT on (default a year, subdomains included, preload allowed)
PROXY_COUNT    reverse proxies in front that append to X-Forwarded-For (default 0)
LOGIN_FAILURE_LIMIT, LOGIN_LOCKOUT_MINUTES  failed sign-ins (per account, per address) before
               sign-in is locked, and for how long (default 10, 15)
EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS, EMAIL_USE_SSL,
DEFAULT_FROM_EMAIL  the mail server; password reset is offered only when EMAIL_HOST is set
CACHE_URL (or REDIS_URL)  a shared Redis cache (redis://...); unset = each process's memory
REPLICA_DATABASE_URL, REPLICA_PIN_SECONDS  a read replica for exports and reports, and how long
               a client that wrote reads from the primary (default 5); see docs/DEPLOYMENT.md
"""

import datetime
import os
import re
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    value = value.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0/true/false, not {value!r}")


def env_int(name: str, default: int, *, meaning: str) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        raise ImproperlyConfigured(f"{name} must be {meaning}, not {value!r}")
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [part.strip() for part in value.split(",") if part.strip()]


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY and DEBUG:
    # Only ever used with DEBUG on, on a developer's machine.
    SECRET_KEY = "django-insecure-hardfin-local-development-only"
# Without DEBUG and without SECRET_KEY, commands that sign nothing (migrate, makemigrations,
# reconcile) still run, while the web application (hardfin.wsgi, so gunicorn too, and
# runserver) refuses to start with an empty key: see hardfin/startup.py.

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
if SECURE_SSL_REDIRECT:
    # Behind an HTTPS proxy, which says so in this header (and must strip it from clients).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# A load balancer's health check may come over plain HTTP from inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# HSTS: browsers that once saw the site over HTTPS refuse plain HTTP to it for that long. Only
# with SECURE_SSL_REDIRECT (a site served over plain HTTP must not send it).
SECURE_HSTS_SECONDS = (
    env_int("SECURE_HSTS_SECONDS", 365 * 24 * 60 * 60, meaning="a whole number of seconds (0 to send no HSTS)")
    if SECURE_SSL_REDIRECT else 0
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
# Allows submitting the domain to the browsers' preload list; nothing happens until someone does.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE_SSL_REDIRECT
SESSION_COOKIE_HTTPONLY = True
# No page script reads the CSRF cookie: forms carry the token, and the API docs page gets it
# rendered into its script.
CSRF_COOKIE_HTTPONLY = True

INSTALLED_APPS = [
    "hardfin.apps.BackOfficeAdminConfig",
    "django.contrib.auth",
    "axes",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    # Above staticfiles: WhiteNoise's runserver wraps hardfin's, which wraps staticfiles' (the
    # first app listed wins a command's name). hardfin has no templates or static files.
    "hardfin",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "import_export",
    "csp",
    "inventory",
    "lots",
    "movements",
    "counts",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Outermost but for security headers: every error under /api/ leaves as JSON.
    "hardfin.middleware.ApiErrorsAreJsonMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # With a read replica: a request that wrote, and its client for a moment, read the primary.
    "hardfin.middleware.ReplicaPinningMiddleware",
    # A view that lost the database answers 503 (JSON under /api/), not a 500.
    "hardfin.middleware.DatabaseUnavailableMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: turns a sign-in refused for too many failures into the "locked" page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "hardfin.urls"
# A refused CSRF check answers JSON under /api/ (the API's own views answer their own 403).
CSRF_FAILURE_VIEW = "hardfin.views.csrf_failure"

# --- Content-Security-Policy (django-csp) ------------------------------------------------------
# Everything comes from this server and nothing is inline: the staff pages have no scripts,
# the admin's and the API docs' (Swagger UI, from drf-spectacular-sidecar) are files served
# here. Swagger UI draws its icons from data: URIs and reads the schema with fetch().
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    },
}

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
                "movements.context_processors.capabilities",
                "hardfin.context_processors.password_reset",
            ],
        },
    },
]

WSGI_APPLICATION = "hardfin.wsgi.application"

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite serializes writers: take the write lock when a transaction starts (IMMEDIATE) so
    # two writers never both read and then fail to upgrade; WAL lets readers run meanwhile.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}

#: The ledger's transfer statements are prepared on PostgreSQL (parsed and planned once per
#: connection: hardfin.db.prepared_cursor). Set DATABASE_PREPARED_STATEMENTS=0 behind a pooler in
#: transaction mode that does not keep prepared statements (PgBouncer before 1.21).
HARDFIN_PREPARED_STATEMENTS = env_bool("DATABASE_PREPARED_STATEMENTS", True)
if HARDFIN_PREPARED_STATEMENTS and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django turns psycopg's preparing off (None) and its cursors bind on the client, which
    # never prepares; a threshold no statement reaches lets only the cursors that ask prepare.
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 2**31 - 1

# A streaming read replica (docs/DEPLOYMENT.md): exports, reports, as_of lists and the ledger
# list read from it (hardfin/db_router.py); writes, and reads that decide them, the primary.
REPLICA_DATABASE_URL = os.environ.get("REPLICA_DATABASE_URL", "").strip()
#: After a write, its client reads from the primary for this long (the replica's lag).
HARDFIN_REPLICA_PIN_SECONDS = env_int("REPLICA_PIN_SECONDS", 5, meaning="a whole number of seconds")
if REPLICA_DATABASE_URL:
    DATABASES["replica"] = dj_database_url.parse(
        REPLICA_DATABASE_URL,
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
    if DATABASES["replica"]["ENGINE"] == "django.db.backends.postgresql":
        # A replica that is down is noticed quickly: its reads then go to the primary.
        DATABASES["replica"].setdefault("OPTIONS", {})["connect_timeout"] = 3
    # Tests run on one database: the "replica" alias is the test database itself.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["hardfin.db_router.ReplicaRouter"]

# --- Cache ----------------------------------------------------------------------------------------
# DRF's throttles count in the default cache. With CACHE_URL (or REDIS_URL) it is a Redis that
# every worker and host shares, so the limits hold overall; unset, each process's own memory.
CACHE_URL = os.environ.get("CACHE_URL", "").strip() or os.environ.get("REDIS_URL", "").strip()
if CACHE_URL:
    if CACHE_URL.split("://", 1)[0].lower() not in {"redis", "rediss", "unix"}:
        raise ImproperlyConfigured(
            f"CACHE_URL (or REDIS_URL) must be a redis://, rediss:// or unix:// URL, not {CACHE_URL!r}"
        )
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
# The time zone pages show times in (and read typed dates in), e.g. America/Chicago; the
# database keeps UTC whatever it is, and the API and CSV exports write ISO times with offsets.
TIME_ZONE = os.environ.get("TIME_ZONE", "").strip() or "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- Signing in -----------------------------------------------------------------------------------
# django-axes counts failed sign-ins in the database (so every worker and host shares them),
# per account and per address, and locks sign-in for a while once either reaches the limit:
# on the HTML pages and the admin (a "locked" page, 429) and on POST /api/auth/token/ (its
# usual 400). The API's own throttles count in the cache (see REST_FRAMEWORK).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's model backend, reading a user's permissions in one query (hardfin/auth.py).
    "hardfin.auth.ModelBackend",
]
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10, meaning="a whole number of failed sign-ins")
AXES_COOLOFF_TIME = datetime.timedelta(
    minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15, meaning="a whole number of minutes")
)
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "hardfin.auth.locked_out"
AXES_CLIENT_IP_CALLABLE = "hardfin.auth.client_address"
#: Reverse proxies in front of the app that append the address they saw to X-Forwarded-For.
HARDFIN_PROXY_COUNT = env_int("PROXY_COUNT", 0, meaning="a whole number of proxies")
# Failed attempts are what matters; a row for every successful sign-in would only grow.
AXES_DISABLE_ACCESS_LOG = True
# No admin pages for the attempts: unlock early with `manage.py axes_reset_username <name>`.
AXES_ENABLE_ADMIN = False
AXES_VERBOSE = False

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/inventory/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

# --- Email (password reset) ---------------------------------------------------------------------
EMAIL_HOST = os.environ.get("EMAIL_HOST", "").strip()
#: Password reset mails a link, so it is offered only when a mail server is configured.
HARDFIN_PASSWORD_RESET = bool(EMAIL_HOST)
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", not EMAIL_USE_SSL)
    EMAIL_PORT = env_int("EMAIL_PORT", 465 if EMAIL_USE_SSL else 587, meaning="a port number")
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_TIMEOUT = 10
    DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "") or f"Hardfin Inventory <noreply@{EMAIL_HOST}>"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # django-axes: lockouts (warnings), not a line for every sign-in.
    "loggers": {"axes": {"level": "WARNING"}},
}

#: How many times a write is retried after a deadlock, a serialization failure or a locked
#: SQLite database before the user is told the database is busy.
HARDFIN_WRITE_RETRIES = 3

#: The installation's one currency (ISO 4217 code), carried by every response with values.
HARDFIN_CURRENCY = os.environ.get("HARDFIN_CURRENCY", "").strip().upper() or "USD"
if not re.fullmatch(r"[A-Z]{3}", HARDFIN_CURRENCY):
    raise ImproperlyConfigured(f"HARDFIN_CURRENCY must be an ISO 4217 code such as USD, not {HARDFIN_CURRENCY!r}")

# --- REST API -----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header makes "no credentials" a 401, not a 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["hardfin.api.permissions.InventoryAccess"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "hardfin.api.pagination.PageNumberPagination",
    # JSON only, and numbers read as Decimals: a quantity never passes through a float.
    "DEFAULT_PARSER_CLASSES": ["hardfin.api.parsers.DecimalJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "EXCEPTION_HANDLER": "hardfin.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "hardfin.api.schema.HardfinAutoSchema",
    "COERCE_DECIMAL_TO_STRING": True,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # Generous for integrations; "auth" slows down password guessing on /api/auth/token/.
    # Counters live in the default cache: configure a shared one when running several hosts.
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {"anon": "120/minute", "user": "3000/minute", "auth": "30/minute"},
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Hardfin Inventory API",
    "DESCRIPTION": (
        "Bulk-item inventory: catalog, stock, FIFO lots and the append-only ledger. "
        "Authenticate with `Authorization: Token <key>` (POST /api/auth/token/) or a browser session. "
        "Quantities are exact decimals sent and returned as strings. See docs/api.md."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its docs page describe the contract, not data: anyone may read them.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    # Separate request and response components: quantities are input as string or number.
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/",
    "ENUM_NAME_OVERRIDES": {
        "MovementKindEnum": "movements.models.Movement.Kind",
        "BatchOriginEnum": "lots.models.Batch.Origin",
        "AdjustmentDirectionEnum": ["up", "down"],
    },
    # No calls to the online validator (the docs page loads nothing from elsewhere).
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- CSV import/export (django-import-export) ---------------------------------------------------
# An import is one transaction: its preview is rolled back, and so is a confirmed import in which
# any row fails (the resources insist on it, see hardfin/resources.py).
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False
#: Rows an export reads from the database at a time (exports are streamed, chunk by chunk).
IMPORT_EXPORT_CHUNK_SIZE = 2000

# --- Background jobs (Celery) -------------------------------------------------------------------
# CELERY_BROKER_URL  the broker (Redis: redis://host:6379/0); unset = jobs run eagerly, inside
#                    the request that starts them, so a fresh clone needs no broker or worker.
# HARDFIN_IMPORT_JOB_ROWS, HARDFIN_COUNT_POST_JOB_LINES  admin CSV imports with more rows, and
#                    count postings with more lines, run as jobs (see docs/JOBS.md).
# JOBS_DIR           where job result files are written (default: MEDIA_ROOT/jobs).
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "").strip()
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", "").strip() or BASE_DIR / "media")
JOBS_DIR = Path(os.environ.get("JOBS_DIR", "").strip() or MEDIA_ROOT / "jobs")
HARDFIN_IMPORT_JOB_ROWS = env_int("HARDFIN_IMPORT_JOB_ROWS", 2000, meaning="a whole number of rows")
HARDFIN_COUNT_POST_JOB_LINES = env_int("HARDFIN_COUNT_POST_JOB_LINES", 1000, meaning="a whole number of lines")
# A GET of these CSV exports with "Prefer: respond-async" answers 202 and writes the file as a job.
HARDFIN_ASYNC_EXPORTS = ["/api/stock/export.csv", "/api/valuation/export.csv", "/api/reports/rollforward.csv"]
MIDDLEWARE.append("hardfin.middleware.RespondAsyncMiddleware")
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]["JobStatusEnum"] = "hardfin.models.Job.Status"
# The counts enum keeps the name it had before jobs brought a second "status".
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]["StatusEnum"] = "counts.models.Count.Status"
