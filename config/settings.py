"""Sanad settings, read from the environment.

Without SANAD_DEV=1 this is production: DEBUG is off, every secret must come
from the environment (or a NAME_FILE), and `config.startup.refuse_unsafe_start`
stops the web and worker processes when a system check finds a missing, short
or default secret. SANAD_DEV=1 (set by `make run` and `make test`) uses SQLite,
an embedded broker and random secrets written once to var/.
"""

from __future__ import annotations

import zoneinfo
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from config.env import (
    decode_key,
    dev_secrets,
    env_bool,
    env_int,
    env_list,
    env_secret,
    env_str,
    parse_key_ring,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("SANAD_VAR_DIR") or BASE_DIR / "var")

SANAD_DEV = env_bool("SANAD_DEV", False)
DEBUG = SANAD_DEV and env_bool("SANAD_DEBUG", False)

# Problems found while reading the environment. They are reported together by
# the system check `sanad.E001` rather than raised one at a time, and name the
# variable, never its value.
SANAD_CONFIG_ERRORS: list[str] = []


def _secret(name: str) -> str | None:
    value = env_secret(name)
    if value is None and SANAD_DEV:
        value = dev_secrets(VAR_DIR / "dev-secrets.json")[name]
    if value is None:
        SANAD_CONFIG_ERRORS.append(f"{name} (or {name}_FILE) is not set.")
    return value


def _key(name: str) -> bytes | None:
    value = _secret(name)
    if value is None:
        return None
    try:
        return decode_key(name, value)
    except ImproperlyConfigured as exc:
        SANAD_CONFIG_ERRORS.append(str(exc))
        return None


def _key_ring(name: str) -> list[tuple[str, bytes]]:
    value = _secret(name)
    if value is None:
        return []
    try:
        return parse_key_ring(name, value)
    except ImproperlyConfigured as exc:
        SANAD_CONFIG_ERRORS.append(str(exc))
        return []


# --- Secrets -----------------------------------------------------------------

SECRET_KEY = _secret("SANAD_SECRET_KEY")
if SECRET_KEY is None:
    # Missing (already recorded as an error). A throwaway per-process value lets
    # Django start far enough for the checks to report every problem at once;
    # `refuse_unsafe_start` and the checks still stop anything from serving.
    import secrets as _secrets

    SECRET_KEY = _secrets.token_urlsafe(50)
# Sealed fields (AES-256-GCM). The first key seals; every key opens. Rotate by
# putting a new key first, deploying, then running `manage.py reseal`.
SANAD_SEALING_KEYS = _key_ring("SANAD_SEALING_KEYS")
# Keyed hash for indicator blind indexes. Cannot be rotated without the
# plaintext indicators, which the server does not keep.
SANAD_BLIND_INDEX_KEY = _key("SANAD_BLIND_INDEX_KEY")
# Keyed hash under which receipts are stored.
SANAD_RECEIPT_KEY = _key("SANAD_RECEIPT_KEY")
# HMAC key of the audit hash chain; without it nobody can forge or rehash an entry.
SANAD_AUDIT_KEY = _key("SANAD_AUDIT_KEY")

# Blind-index truncation (CipherSweet's planning rule, see backend/crypto/blind_index.py):
# with R indicator rows expected, L bits give R / 2^L expected coincidences per value.
SANAD_BLIND_INDEX_EXPECTED_ROWS = env_int("SANAD_BLIND_INDEX_EXPECTED_ROWS", 100_000, minimum=4)
SANAD_BLIND_INDEX_BITS = env_int("SANAD_BLIND_INDEX_BITS", 0, minimum=0, maximum=63)  # 0: derive

# An intake key is offered to clients only once this many staff hold it, so one
# forgotten password or lost account cannot make reports unreadable.
SANAD_INTAKE_MIN_HOLDERS = env_int("SANAD_INTAKE_MIN_HOLDERS", 2, minimum=1)

# Argon2id parameters for wrapping personal private keys under a password
# (RFC 9106's second recommended option). Stored beside each wrapped key, so
# raising them later affects only keys wrapped afterwards.
# Bounds match what backend.crypto.keywrap will unwrap, so no setting can make
# keys that never open again.
SANAD_KEYWRAP_ARGON2 = {
    "time_cost": env_int("SANAD_KEYWRAP_ARGON2_TIME_COST", 3, minimum=1, maximum=16),
    "memory_cost": env_int("SANAD_KEYWRAP_ARGON2_MEMORY_KIB", 64 * 1024, minimum=8 * 1024, maximum=1024 * 1024),
    "parallelism": env_int("SANAD_KEYWRAP_ARGON2_PARALLELISM", 4, minimum=1, maximum=16),
}

# --- Reporter intake: sizes, proof of work, rate shaping --------------------------
# Caps on raw (decoded) ciphertext; requests over them get 413 before parsing.
SANAD_MAX_REPORT_BYTES = env_int("SANAD_MAX_REPORT_BYTES", 256 * 1024, minimum=4096)
SANAD_MAX_FOLLOWUP_BYTES = env_int("SANAD_MAX_FOLLOWUP_BYTES", 64 * 1024, minimum=1024)
SANAD_MAX_EVIDENCE_BYTES = env_int("SANAD_MAX_EVIDENCE_BYTES", 10 * 1024 * 1024, minimum=64 * 1024)
SANAD_MAX_FOLLOWUPS_PER_REPORT = env_int("SANAD_MAX_FOLLOWUPS_PER_REPORT", 100, minimum=1)
SANAD_MAX_EVIDENCE_PER_REPORT = env_int("SANAD_MAX_EVIDENCE_PER_REPORT", 20, minimum=1)
SANAD_MAX_EVIDENCE_TOTAL_BYTES = env_int("SANAD_MAX_EVIDENCE_TOTAL_BYTES", 50 * 1024 * 1024, minimum=64 * 1024)
# Follow-ups and evidence stored per minute across all reports (429 beyond): one
# paid receipt must not be able to fill the disk.
SANAD_UPLOAD_BYTES_PER_MINUTE = env_int("SANAD_UPLOAD_BYTES_PER_MINUTE", 256 * 1024 * 1024, minimum=1024 * 1024)
# Hashcash difficulty in bits: 0 turns proof of work off. 18 bits is about 2^18
# SHA-256 calls, around a second on a phone; each doubling of the intake rate
# over the threshold (reports per minute) adds a bit, up to the maximum.
SANAD_POW_BASE_BITS = env_int("SANAD_POW_BASE_BITS", 18, minimum=0, maximum=30)
SANAD_POW_MAX_BITS = env_int("SANAD_POW_MAX_BITS", 26, minimum=0, maximum=32)
SANAD_POW_RATE_THRESHOLD = env_int("SANAD_POW_RATE_THRESHOLD", 30, minimum=1)
SANAD_POW_TTL_SECONDS = env_int("SANAD_POW_TTL_SECONDS", 300, minimum=30)
# Statistics for partners (partners.stats): the zCDP rho each monthly release spends, the cap on a
# year's releases (never reset), the threshold under which a noisy count reads "<11", the delta of the
# (epsilon, delta) each release states, and how many days after a month closes its release is built.
SANAD_STATS_RHO_PER_RELEASE = env_str("SANAD_STATS_RHO_PER_RELEASE", "0.05")
SANAD_STATS_RHO_PER_YEAR = env_str("SANAD_STATS_RHO_PER_YEAR", "0.6")
for _name in ("SANAD_STATS_RHO_PER_RELEASE", "SANAD_STATS_RHO_PER_YEAR"):
    try:
        if not 0 < float(globals()[_name]) <= 1:
            raise ValueError
    except ValueError:
        SANAD_CONFIG_ERRORS.append(f"{_name} must be a number above 0 and at most 1.")
SANAD_STATS_THRESHOLD = env_int("SANAD_STATS_THRESHOLD", 11, minimum=1)
SANAD_STATS_DELTA = 1e-6
SANAD_STATS_BUILD_AFTER_DAYS = env_int("SANAD_STATS_BUILD_AFTER_DAYS", 2, minimum=0, maximum=27)
# Retention (reports.retention): closed reports older than this, and withdrawn reports, are deleted for
# good (the statistics' roll-up keeps their counts). Daily, by the beat task.
SANAD_RETENTION_CLOSED_DAYS = env_int("SANAD_RETENTION_CLOSED_DAYS", 365, minimum=30)
# How long a proposed decrypting role waits for a key holder's approval before it lapses: an approval
# weeks later would be given on what was known then, not now; the sysadmin proposes again.
SANAD_ROLE_PROPOSAL_DAYS = env_int("SANAD_ROLE_PROPOSAL_DAYS", 7, minimum=1, maximum=60)
# How long a partner's API token lasts.
SANAD_PARTNER_TOKEN_DAYS = env_int("SANAD_PARTNER_TOKEN_DAYS", 365, minimum=1, maximum=3650)

# CORS, for the self-contained reporter page (`manage.py reporter_page_file`), opened from a file
# (Origin: null) or a mirror on another host: the reporter API answers any origin, never with
# credentials (it uses no cookie; a receipt is sent in Authorization by the page itself). Nothing else
# (the admin, the partners' statistics, the schema) answers another origin.
CORS_URLS_REGEX = r"^/api/v1/(intake-keys|pow|reports)/"
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_CREDENTIALS = False
CORS_ALLOW_METHODS = ["GET", "POST", "DELETE", "OPTIONS"]
CORS_ALLOW_HEADERS = ["accept", "accept-language", "authorization", "content-type"]
# The engine reads a challenge's lifetime by the server's clock (its Date), not by the phone's.
CORS_EXPOSE_HEADERS = ["Date"]
CORS_PREFLIGHT_MAX_AGE = 600
# Where the reporter's page's "Exit" button goes (replacing the page in the history): an ordinary
# site that tells nobody glancing at the phone anything. https only.
SANAD_QUICK_EXIT_URL = env_str("SANAD_QUICK_EXIT_URL", "https://www.google.com/")
if not SANAD_QUICK_EXIT_URL.startswith("https://") or any(c in SANAD_QUICK_EXIT_URL for c in "\"'<> "):
    SANAD_CONFIG_ERRORS.append("SANAD_QUICK_EXIT_URL must be an https:// address.")
    SANAD_QUICK_EXIT_URL = "https://www.google.com/"
# Global shaping (no per-client limits: we do not know clients). The cap counts
# only reports that paid their proof of work, and sits far above real load
# (it is a backstop; rising difficulty is the shaping). Failed receipt
# look-ups beyond their cap get 429; a right receipt is never refused.
SANAD_INTAKE_MAX_PER_MINUTE = env_int("SANAD_INTAKE_MAX_PER_MINUTE", 3000, minimum=1)
SANAD_RECEIPT_FAILURES_PER_MINUTE = env_int("SANAD_RECEIPT_FAILURES_PER_MINUTE", 300, minimum=1)

# --- Triage ---------------------------------------------------------------------
# Longer than a task's hard time limit: a lease must not lapse while its task may still run.
SANAD_TRIAGE_LEASE_SECONDS = env_int("SANAD_TRIAGE_LEASE_SECONDS", 360, minimum=5)
# Candidate links made per triage at most: a flooded indicator must not make triage quadratic.
SANAD_LINK_LIMIT = env_int("SANAD_LINK_LIMIT", 50, minimum=1, maximum=500)
SANAD_TRIAGE_MAX_ATTEMPTS = env_int("SANAD_TRIAGE_MAX_ATTEMPTS", 5, minimum=1)
SANAD_TRIAGE_RETRY_SECONDS = env_int("SANAD_TRIAGE_RETRY_SECONDS", 30, minimum=1)
# A pending report nobody claimed for this long is queued again by the sweeper.
SANAD_TRIAGE_SWEEP_AFTER_SECONDS = env_int("SANAD_TRIAGE_SWEEP_AFTER_SECONDS", 30, minimum=1)
SANAD_SWEEP_EVERY_SECONDS = env_int("SANAD_SWEEP_EVERY_SECONDS", 30, minimum=1)
# Fault injection for the reliability tests only: triage sleeps this long while it
# holds its claim, so a test can kill a worker mid-task. Refused outside dev mode.
SANAD_FAULT_TRIAGE_DELAY_MS = env_int("SANAD_FAULT_TRIAGE_DELAY_MS", 0, minimum=0, maximum=60_000)
if SANAD_FAULT_TRIAGE_DELAY_MS and not SANAD_DEV:
    SANAD_CONFIG_ERRORS.append("SANAD_FAULT_TRIAGE_DELAY_MS is for tests in dev mode only.")
# A sender holds a notification this long; if its worker dies mid-send, the sweeper retries after it.
SANAD_NOTIFY_LEASE_SECONDS = env_int("SANAD_NOTIFY_LEASE_SECONDS", 120, minimum=2)
# Notifications say only "a report of severity X needs attention: reference R".
SANAD_NOTIFY_WEBHOOK_URL = env_secret("SANAD_NOTIFY_WEBHOOK_URL")
if SANAD_NOTIFY_WEBHOOK_URL and not SANAD_NOTIFY_WEBHOOK_URL.startswith("https://") and not SANAD_DEV:
    SANAD_CONFIG_ERRORS.append("SANAD_NOTIFY_WEBHOOK_URL must be an https:// address.")
DEFAULT_FROM_EMAIL = env_str("SANAD_FROM_EMAIL", "sanad@localhost")
EMAIL_BACKEND = env_str(
    "SANAD_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if SANAD_DEV else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("SANAD_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("SANAD_EMAIL_PORT", 587, minimum=1)
EMAIL_HOST_USER = env_str("SANAD_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env_secret("SANAD_EMAIL_PASSWORD") or ""
EMAIL_USE_TLS = env_bool("SANAD_EMAIL_TLS", True)
EMAIL_TIMEOUT = 10
EMAIL_FILE_PATH = env_str("SANAD_EMAIL_FILE_PATH", str(VAR_DIR / "mail"))

# --- Relocation ---------------------------------------------------------------------
# A bed offered to a referral is held this long, then freed by the beat task if nobody placed the person.
SANAD_RELOCATION_HOLD_HOURS = env_int("SANAD_RELOCATION_HOLD_HOURS", 48, minimum=1, maximum=24 * 14)
SANAD_RELOCATION_EXPIRE_EVERY_SECONDS = env_int("SANAD_RELOCATION_EXPIRE_EVERY_SECONDS", 60, minimum=5)
# Caseworkers' free-bed bands are a snapshot taken once a period (0: live): a band seen to change as a
# referral's beds are held would tie the hold to a region or a house (relocation.selectors).
SANAD_RELOCATION_BANDS_SECONDS = env_int("SANAD_RELOCATION_BANDS_SECONDS", 6 * 3600, minimum=0, maximum=7 * 24 * 3600)

# --- Hosts, database, broker ----------------------------------------------------

ALLOWED_HOSTS = env_list("SANAD_ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if SANAD_DEV else [])
CSRF_TRUSTED_ORIGINS = env_list("SANAD_CSRF_TRUSTED_ORIGINS")
if not SANAD_DEV and not ALLOWED_HOSTS:
    SANAD_CONFIG_ERRORS.append("SANAD_ALLOWED_HOSTS is not set.")

_database_url = env_secret("DATABASE_URL")
if _database_url:
    DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=60, conn_health_checks=True)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # An unreachable database costs a request seconds, not the operating system's minutes.
        DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env_int(
            "SANAD_DB_CONNECT_TIMEOUT", 5, minimum=1, maximum=60
        )
elif SANAD_DEV:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "db.sqlite3",
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }
else:
    SANAD_CONFIG_ERRORS.append("DATABASE_URL (or DATABASE_URL_FILE) is not set.")
    DATABASES = {"default": {"ENGINE": "django.db.backends.dummy"}}

_redis_url = env_secret("REDIS_URL")
if _redis_url:
    CELERY_BROKER_URL = _redis_url
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {
        # Longer than any task's hard time limit, so an unacknowledged task is
        # redelivered only when its worker is really gone.
        "visibility_timeout": env_int("SANAD_BROKER_VISIBILITY_TIMEOUT", 3600, minimum=5),
        # A dead Redis must cost a reporter's request a second at most: the sweeper re-queues.
        "socket_connect_timeout": 1,
        "socket_timeout": 5,
    }
    CACHES = {
        "default": {
            "BACKEND": "backend.cache.ReusingRedisCache",
            "LOCATION": _redis_url,
            # Budgets and counters fail open (backend.budgets): a hung Redis must cost a request a second
            # or two, never hold it.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        }
    }
elif SANAD_DEV:
    # Embedded broker: kombu's filesystem transport under var/, no server needed.
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
        # Broadcast (worker control) exchanges: kombu's default is ./control in the working directory.
        "control_folder": str(_broker_dir / "control"),
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    SANAD_CONFIG_ERRORS.append("REDIS_URL (or REDIS_URL_FILE) is not set.")
    CELERY_BROKER_URL = "memory://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}

# --- Celery --------------------------------------------------------------------

CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_TIME_LIMIT = env_int("SANAD_TASK_TIME_LIMIT", 300, minimum=5)
CELERY_TASK_SOFT_TIME_LIMIT = max(1, CELERY_TASK_TIME_LIMIT - 30)
CELERY_TASK_DEFAULT_QUEUE = "maintenance"
CELERY_TASK_ROUTES = {
    "reports.tasks.triage_reports": {"queue": "triage"},
    "reports.tasks.triage_report": {"queue": "triage"},
    "reports.tasks.send_notification_batch": {"queue": "notifications"},
    "reports.tasks.send_notification": {"queue": "notifications"},
    "reports.tasks.sweep": {"queue": "maintenance"},
    "reports.tasks.escalate_sla": {"queue": "maintenance"},
    "backend.tasks.*": {"queue": "maintenance"},
    "relocation.tasks.*": {"queue": "maintenance"},
    "accounts.tasks.*": {"queue": "maintenance"},
}
CELERY_BEAT_SCHEDULE = {
    "sweep-pending-reports-and-notifications": {
        "task": "reports.tasks.sweep",
        "schedule": float(SANAD_SWEEP_EVERY_SECONDS),
    },
    "escalate-sla-breaches": {"task": "reports.tasks.escalate_sla", "schedule": 60.0},
    "expire-relocation-holds": {
        "task": "relocation.tasks.expire_holds",
        "schedule": float(SANAD_RELOCATION_EXPIRE_EVERY_SECONDS),
    },
    # At fixed times (crontab), not "every N hours": a beat restarted more often than that would never
    # run them. Releases hourly, so one is out within the hour its month's wait ends (built months are
    # skipped); retention daily.
    "purge-old-reports": {"task": "reports.tasks.purge", "schedule": crontab(hour=3, minute=17)},
    "build-statistics-releases": {"task": "partners.tasks.build_due_releases", "schedule": crontab(minute=41)},
    "expire-role-proposals": {"task": "accounts.tasks.expire_role_proposals", "schedule": crontab(minute=23)},
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# PostgreSQL's statement_timeout (and idle-in-transaction timeout), in seconds, by the process that connects
# (backend.db_limits): a hung query cannot hold a web thread, and the requests waiting on its group commit, for
# ever. Workers get their tasks' hard limit; commands (migrations, backfills, purges) an hour; 0 is no limit.
SANAD_DB_STATEMENT_TIMEOUT = {
    "web": env_int("SANAD_DB_STATEMENT_TIMEOUT_WEB", 10, minimum=1, maximum=120),
    "worker": env_int("SANAD_DB_STATEMENT_TIMEOUT_WORKER", CELERY_TASK_TIME_LIMIT, minimum=1),
    "command": env_int("SANAD_DB_STATEMENT_TIMEOUT_COMMAND", 3600, minimum=0),
}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- Django --------------------------------------------------------------------

INSTALLED_APPS = [
    # Ours first, so accounts' `changepassword` replaces django.contrib.auth's.
    "backend",
    "accounts",
    "reports",
    "relocation",
    "partners",
    "audit",
    "config.apps.SanadAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "axes",
    "corsheaders",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
]

MIDDLEWARE = [
    "backend.middleware.DefaultLanguageMiddleware",
    *(["backend.middleware.DevLoopbackOnlyMiddleware"] if SANAD_DEV else []),
    # Before the scrub: it reads the browser's Accept-Language (reporter paths included, for API error
    # details) and keeps only the language chosen; the scrub then drops the header itself on reporter paths.
    "django.middleware.locale.LocaleMiddleware",
    # Before the scrub, which drops the preflight's Access-Control-Request-* headers; it answers the
    # preflight itself. Only the reporter API, only without credentials (CORS_* below).
    "corsheaders.middleware.CorsMiddleware",
    "backend.middleware.ScrubClientIdentityMiddleware",
    "backend.middleware.HealthProbeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # After authentication: a staff member's chosen language overrides the browser's.
    "accounts.language.StaffLanguageMiddleware",
    "accounts.middleware.StaffSessionTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "accounts.StaffUser"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# django-axes first: it refuses a locked-out (username, client) pair before any password is checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "admin:login"

PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Languages and time ------------------------------------------------------------
# Arabic, Sorani Kurdish (Arabic script) and English, both of the first right-to-left.
# A page speaks the staff member's chosen language (StaffUser.language), else the
# browser's (Accept-Language, or the language cookie the switcher sets), else
# LANGUAGE_CODE. Names are each language's own, as the switcher shows them.
LANGUAGES = [("ar", "العربية"), ("ckb", "کوردی"), ("en", "English")]
LANGUAGE_CODE = env_str("SANAD_LANGUAGE_CODE", "en")
if LANGUAGE_CODE not in dict(LANGUAGES):
    SANAD_CONFIG_ERRORS.append("SANAD_LANGUAGE_CODE must be one of ar, ckb, en.")
    LANGUAGE_CODE = "en"
# Our catalogs; they also fill Django's and DRF's gaps (admin strings ckb lacks, DRF's ckb).
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates shown as 2026-12-06 15:04 +03 in every language (config/formats).
FORMAT_MODULE_PATH = ["config.formats"]
# The language cookie is the switcher's choice before login; after, StaffUser.language.
LANGUAGE_COOKIE_NAME = "sanad_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Strict"
USE_I18N = True

# Times are stored in UTC and shown in the deployment's zone, with the zone.
TIME_ZONE = env_str("SANAD_TIME_ZONE", "Asia/Baghdad")
try:
    zoneinfo.ZoneInfo(TIME_ZONE)
except (zoneinfo.ZoneInfoNotFoundError, ValueError):
    SANAD_CONFIG_ERRORS.append("SANAD_TIME_ZONE must be an IANA zone name such as Asia/Baghdad.")
    TIME_ZONE = "UTC"
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Dev mode serves static files straight from the apps (no collectstatic, DEBUG stays off).
WHITENOISE_USE_FINDERS = SANAD_DEV
WHITENOISE_AUTOREFRESH = SANAD_DEV
# The reporter's page's scripts are never kept in a browser's cache: a phone searched at a checkpoint
# should hold no trace of a visit (backend.static_headers).
from backend.static_headers import reporter_scripts_not_stored  # noqa: E402  (no Django import in it)

WHITENOISE_ADD_HEADERS_FUNCTION = reporter_scripts_not_stored
# CORS is the reporter API's alone (CORS_URLS_REGEX): static files answer no other origin.
WHITENOISE_ALLOW_ALL_ORIGINS = False
if SANAD_DEV:
    STATIC_ROOT = VAR_DIR / "static"
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if SANAD_DEV
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Sessions, cookies, transport security ---------------------------------------

# Database sessions that record their user (accounts.StaffSession), so that all
# of a user's sessions end at once on deactivation, password or role change.
SESSION_ENGINE = "accounts.session_store"
# Absolute and idle timeouts, enforced by accounts.middleware.StaffSessionTimeoutMiddleware.
SANAD_SESSION_ABSOLUTE_SECONDS = env_int("SANAD_SESSION_ABSOLUTE_SECONDS", 8 * 3600, minimum=300)
SANAD_SESSION_IDLE_SECONDS = env_int("SANAD_SESSION_IDLE_SECONDS", 30 * 60, minimum=60)
SESSION_COOKIE_AGE = SANAD_SESSION_ABSOLUTE_SECONDS
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_SAMESITE = "Strict"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Strict"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
# same-origin, not no-referrer: under no-referrer Chromium sends `Origin: null` with
# same-origin form posts, and Django's CSRF check then refuses every admin form
# (found by the browser test). Nothing is ever sent to another origin either way.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# The cookie holding the key that opens this session's personal key (accounts.session_keys),
# and the device cookie that makes login lockout per (username, browser) (accounts.login_client).
SANAD_KEY_COOKIE_NAME = "sanad_key"
SANAD_DEVICE_COOKIE_NAME = "sanad_device"

if not SANAD_DEV:
    # `__Host-` cookies are only accepted over HTTPS, with Path=/ and no Domain.
    SESSION_COOKIE_NAME = "__Host-sanad_session"
    CSRF_COOKIE_NAME = "__Host-sanad_csrf"
    SANAD_KEY_COOKIE_NAME = "__Host-sanad_key"
    SANAD_DEVICE_COOKIE_NAME = "__Host-sanad_device"
    LANGUAGE_COOKIE_NAME = "__Host-sanad_language"
    LANGUAGE_COOKIE_SECURE = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # Health probes are answered before this redirect (backend.middleware.HealthProbeMiddleware).
    SECURE_SSL_REDIRECT = env_bool("SANAD_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SANAD_HSTS_SECONDS", 31_536_000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # Sending `preload` only makes the site eligible; nothing is submitted to a list.
    SECURE_HSTS_PRELOAD = True
    if env_bool("SANAD_BEHIND_TLS_PROXY", True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Login lockout (django-axes) and TOTP (django-otp) ----------------------------
# A (username, client) pair is locked after this many failures (password or
# TOTP) for the cool-off time. The client is never an IP address: see
# accounts/login_client.py for the device-cookie scheme that stops anyone
# locking a colleague out of their own browser.
AXES_FAILURE_LIMIT = env_int("SANAD_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("SANAD_LOGIN_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "accounts.login_client.client_address"
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_VERBOSE = False
AXES_SENSITIVE_PARAMETERS = ["username", "password", "otp_token", "next"]
# axes' own admin pages would answer 403 or a redirect depending on whether a record exists.
AXES_ENABLE_ADMIN = False
# axes stores and logs a keyed hash, never the typed username (it may be a mistyped password).
AXES_USERNAME_CALLABLE = "accounts.login_client.username_tag"
# A locked pair stays locked for the cool-off from its *first* lock: refused
# attempts during the lockout must not extend it, or one request every 14
# minutes would keep a colleague out of every new browser for good.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_HTTP_RESPONSE_CODE = 429
OTP_TOTP_ISSUER = "Sanad"

# --- REST framework and API schema -------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "backend.negotiation.StrictContentNegotiation",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "backend.api.exception_handler",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Sanad API",
    "DESCRIPTION": "Threat reporting for activists at risk. Report content is HPKE-encrypted on the device.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Reporters authenticate with their receipt (reports.api.ReceiptView reads it itself).
    "APPEND_COMPONENTS": {
        "securitySchemes": {
            "Receipt": {
                "type": "apiKey",
                "in": "header",
                "name": "Authorization",
                "description": "Receipt <receipt>: the receipt given when the report was sent.",
            }
        }
    },
}

# --- Logging ---------------------------------------------------------------------
# Records never carry the request object (its META holds the client's address
# and user agent), and there is no e-mail handler: error mails would carry both.

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"no_request": {"()": "backend.logging.DropRequestFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["no_request"]},
    },
    "root": {"handlers": ["console"], "level": env_str("SANAD_LOG_LEVEL", "INFO")},
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # Its failure lines name the (hashed) username and pseudo-address of every attempt: not needed in logs.
        "axes": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
}
ADMINS: list = []
