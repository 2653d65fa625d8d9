"""Settings for nrmm: one file, typed environment variables, working local defaults.

Every variable is documented in README.md ("Configuration"). Bad values stop the start.
"""

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from core.fieldcrypt import key_ring as field_key_ring
from nrmm.env import (
    cache_from_url,
    database_from_url,
    env_bool,
    env_int,
    env_list,
    env_networks,
    env_str,
    replica_databases,
    s3_storage,
    sqlite_database,
)
from rules.cardsig import key_ring

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("NRMM_DATA_DIR", str(BASE_DIR / "var")))

_DEV_SECRET = "dev-only-secret-key-not-for-production-0123456789abcdef"
DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env_str("SECRET_KEY", _DEV_SECRET)
if not DEBUG and SECRET_KEY == _DEV_SECRET:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "core",
    "accounts",
    "catalogue",
    "registry",
    "owners",
    "backoffice",
    "documents",
    "inspections",
    "changes",
    "reports",
    "fleets",
    "stats",
    "api",
]

MIDDLEWARE = [
    "core.middleware.RequestSizeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.ApiTokenMiddleware",
    "core.middleware.IdempotencyMiddleware",
    "accounts.middleware.AccessMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "nrmm.urls"
WSGI_APPLICATION = "nrmm.wsgi.application"

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
                "core.context_processors.platform",
            ],
        },
    },
]

_database_url = env_str("DATABASE_URL", "")
DATABASES = {
    "default": (
        database_from_url(_database_url, base_dir=BASE_DIR)
        if _database_url
        else sqlite_database(DATA_DIR / "nrmm.sqlite3")
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.IdentifierBackend"]
LOGIN_URL = "owners:login"
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "accounts.validators.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "staticfiles"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("NRMM_MEDIA_ROOT", str(DATA_DIR / "media")))

# --- Scale-out: several stateless app processes (docs/deploy.md) ---------------------------
# Read replicas (DATABASE_URL-style, comma-separated) become aliases replica_1, …; the
# router sends reads to one only inside @replica_ok views (public verification, statistics).
DATABASES.update(replica_databases(env_list("NRMM_REPLICA_URLS", []), base_dir=BASE_DIR))
NRMM_REPLICA_DATABASES = [alias for alias in DATABASES if alias.startswith("replica_")]
DATABASE_ROUTERS = ["core.dbrouter.ReplicaRouter"]
# Uploaded files: the local MEDIA_ROOT (one machine, `make run`) or S3-compatible object
# storage shared by every app server and task worker (NRMM_STORAGE=s3).
NRMM_STORAGE = env_str("NRMM_STORAGE", "local")
if NRMM_STORAGE not in ("local", "s3"):
    raise ImproperlyConfigured(f"NRMM_STORAGE={NRMM_STORAGE!r}: use local or s3")
STORAGES = {
    "default": (
        s3_storage(
            bucket=env_str("NRMM_S3_BUCKET", ""),
            endpoint_url=env_str("NRMM_S3_ENDPOINT_URL", ""),
            region=env_str("NRMM_S3_REGION", ""),
            access_key=env_str("NRMM_S3_ACCESS_KEY_ID", ""),
            secret_key=env_str("NRMM_S3_SECRET_ACCESS_KEY", ""),
            location=env_str("NRMM_S3_PREFIX", ""),
            addressing_style=env_str("NRMM_S3_ADDRESSING_STYLE", ""),
        )
        if NRMM_STORAGE == "s3"
        else {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    ),
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Shared state lives in the database (sessions, rate limits, idempotency, tasks); the cache
# is Redis in production (NRMM_CACHE_URL), never one per process.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
CACHES = {"default": cache_from_url(env_str("NRMM_CACHE_URL", ""), debug=DEBUG)}

# --- Security (Django's deployment checklist; `manage.py check --deploy` is clean) ---------
# NRMM_HTTPS: the platform is reached over HTTPS (on by default when DEBUG is off; a TLS
# proxy in front sets X-Forwarded-Proto). It redirects plain HTTP, sends HSTS and keeps
# the cookies to HTTPS. A local `make gunicorn` over plain HTTP needs NRMM_HTTPS=0.
NRMM_HTTPS = env_bool("NRMM_HTTPS", not DEBUG)
SECURE_SSL_REDIRECT = NRMM_HTTPS
# The load balancer checks /healthz over plain HTTP on the private network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if NRMM_HTTPS else None
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 3600 if NRMM_HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = NRMM_HTTPS
# Asking browsers to preload HSTS commits the whole domain (often a city's *.gov.cn) for
# good: the domain's operator decides (SECURE_HSTS_PRELOAD=1), so the check that nags
# about it is silenced rather than answered for them.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = ["security.W021"]
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", NRMM_HTTPS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# The load balancers in front (addresses or networks, comma-separated): behind them the
# rate limits count the client from X-Forwarded-For (core.ratelimit.client_address).
NRMM_TRUSTED_PROXIES = env_networks("NRMM_TRUSTED_PROXIES")
# A request body larger than this is refused before it is read (core.middleware); the
# largest legitimate one is a public report with six 15 MB photos.
NRMM_MAX_REQUEST_BYTES = env_int("NRMM_MAX_REQUEST_BYTES", 100 * 1024 * 1024, minimum=1024)
# Content-Security-Policy of every response (core.middleware); empty switches it off.
NRMM_CSP = env_str(
    "NRMM_CSP",
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'",
)
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 12 * 3600, minimum=60)

# --- The platform -------------------------------------------------------------------------
# The city that runs this platform: its abbreviation, districts, machine types and their
# categories. Empty means Shanghai as the measures define it (rules.city.SHANGHAI); a JSON
# file with the same keys (python manage.py city_config --dump) lets another city run it.
NRMM_CITY_CONFIG = env_str("NRMM_CITY_CONFIG", "")
NRMM_PLATFORM_NAME = env_str("NRMM_PLATFORM_NAME", "非道路移动机械环保信息采集")

# SMS: the backend class and the limits of issue #2 (6 digits, 5 minutes, 5 tries,
# one send a minute and ten a day per phone).
NRMM_SMS_BACKEND = env_str("NRMM_SMS_BACKEND", "accounts.sms.OutboxBackend")
NRMM_SMS_SIGNATURE = env_str("NRMM_SMS_SIGNATURE", "【非道路移动机械环保登记】")
NRMM_SMS_CODE_TTL_SECONDS = env_int("NRMM_SMS_CODE_TTL_SECONDS", 300, minimum=30)
NRMM_SMS_CODE_MAX_ATTEMPTS = env_int("NRMM_SMS_CODE_MAX_ATTEMPTS", 5, minimum=1)
NRMM_SMS_MIN_INTERVAL_SECONDS = env_int("NRMM_SMS_MIN_INTERVAL_SECONDS", 60, minimum=0)
NRMM_SMS_DAILY_LIMIT = env_int("NRMM_SMS_DAILY_LIMIT", 10, minimum=1)
# Wrong passwords (pages, API and admin alike, in accounts.backends): an account refuses
# logins after this many failures within the window, an address after more (guessing
# across many accounts). Counted in the database, shared by every process.
# Staff log in with a password and a code from an authenticator app (TOTP): required in
# production (a staff member without it is sent to enrol first), optional in development.
NRMM_STAFF_TOTP_REQUIRED = env_bool("NRMM_STAFF_TOTP_REQUIRED", not DEBUG)
# API bearer tokens end this many days after they were issued (then log in again).
NRMM_API_TOKEN_DAYS = env_int("NRMM_API_TOKEN_DAYS", 30, minimum=1)
NRMM_LOGIN_WINDOW_SECONDS = env_int("NRMM_LOGIN_WINDOW_SECONDS", 15 * 60, minimum=60)
NRMM_LOGIN_FAILURES_PER_ACCOUNT = env_int("NRMM_LOGIN_FAILURES_PER_ACCOUNT", 5, minimum=1)
NRMM_LOGIN_FAILURES_PER_ADDRESS = env_int("NRMM_LOGIN_FAILURES_PER_ADDRESS", 30, minimum=1)

# The information card's QR code (rules/cardsig.py): the platform's public address that the
# code points to, and the Ed25519 keys. NRMM_CARD_SIGNING_KEYS is "kid:base64url-private-key"
# items, the first signing new cards (python manage.py card_keys --generate makes one);
# empty derives one key from SECRET_KEY. NRMM_CARD_VERIFY_KEYS lists retired public keys
# ("kid:base64url-public-key") that still verify cards printed before a rotation.
NRMM_PUBLIC_BASE_URL = env_str("NRMM_PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
try:
    NRMM_CARD_KEYS = key_ring(
        env_str("NRMM_CARD_SIGNING_KEYS", ""),
        env_str("NRMM_CARD_VERIFY_KEYS", ""),
        secret=SECRET_KEY,
    )
except ValueError as exc:
    raise ImproperlyConfigured(str(exc)) from None
# Personal data at rest (core/fieldcrypt.py): ID numbers are stored AES-256-GCM encrypted
# and found through an HMAC-SHA256 keyed hash. NRMM_FIELD_KEYS: comma-separated base64
# 32-byte keys, the first encrypting, all decrypting (rotation: put the new key first, run
# `manage.py field_keys --rotate`, then drop the old one); NRMM_FIELD_HASH_KEY: one more key,
# for the hashes. Development derives both from SECRET_KEY; with DEBUG off they must be set.
try:
    NRMM_FIELD_CRYPTO = field_key_ring(
        env_str("NRMM_FIELD_KEYS", ""),
        env_str("NRMM_FIELD_HASH_KEY", ""),
        secret=SECRET_KEY,
        allow_derived=DEBUG,
    )
except ValueError as exc:
    raise ImproperlyConfigured(str(exc)) from None
# Public look-ups of a typed number (the verification page and API), per address.
NRMM_PUBLIC_LOOKUPS_PER_MINUTE = env_int("NRMM_PUBLIC_LOOKUPS_PER_MINUTE", 30, minimum=1)
# make bench's floor: /bench/floor/ answers a constant (a bare Django view through the whole
# middleware stack, served by the same gunicorn); off, it answers 404 like any unknown page.
NRMM_BENCH_FLOOR = env_bool("NRMM_BENCH_FLOOR", False)
# Public reports (Art. 17) filed per address and hour: the abuse guard instead of a CAPTCHA.
NRMM_PUBLIC_REPORTS_PER_HOUR = env_int("NRMM_PUBLIC_REPORTS_PER_HOUR", 5, minimum=1)

# Background work (django-tasks): immediate by default, so nothing needs a worker locally;
# production sets NRMM_TASKS_BACKEND=django_tasks_db.DatabaseBackend and runs
# `manage.py db_worker`. Reminders go out this many days before a deadline.
TASKS = {
    "default": {
        "BACKEND": env_str(
            "NRMM_TASKS_BACKEND", "django_tasks.backends.immediate.ImmediateBackend"
        ),
        "QUEUES": ["default"],
    }
}
NRMM_REMINDER_DAYS = env_int("NRMM_REMINDER_DAYS", 2, minimum=1)

# No full ID number or mobile number in a log line or an error report (core/logmask.py):
# every handler masks them. Django's own loggers write through the root's console handler
# (instead of their defaults, which would print and mail unmasked), runserver's request lines
# through a masked handler of their own.
LOG_LEVEL = env_str("LOG_LEVEL", "WARNING")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"personal_data": {"()": "core.logmask.PersonalDataFilter"}},
    "formatters": {
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["personal_data"]},
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["personal_data"],
        },
    },
    "loggers": {
        "django": {"handlers": [], "level": LOG_LEVEL, "propagate": True},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
}
DEFAULT_EXCEPTION_REPORTER = "core.logmask.PersonalDataExceptionReporter"
DEFAULT_EXCEPTION_REPORTER_FILTER = "core.logmask.PersonalDataReporterFilter"
