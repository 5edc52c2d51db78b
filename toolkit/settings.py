"""Settings for Service Toolkit, read from the environment (see README "Settings").

Every value has a development default except the secret key outside DEBUG, so that
`python3 dev.py run` works on a fresh machine and a production start fails loudly
when it is misconfigured.
"""

import importlib.util
import ipaddress
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=False)

_DEV_SECRET_KEY = "dev-only-insecure-key-not-for-production-use-0123456789abcdefghij"  # noqa: S105
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=_DEV_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")
# Former keys while a new DJANGO_SECRET_KEY is rolled out: sessions, password-reset links and the stored
# backup codes made under them keep working.
SECRET_KEY_FALLBACKS = env.list("DJANGO_SECRET_KEY_FALLBACKS", default=[])

ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"] if DEBUG else []
)

INSTALLED_APPS = [
    # Without looking for the apps' admin modules at start-up: toolkit/admin_urls.py does, on first use.
    "django.contrib.admin.apps.SimpleAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "django_htmx",
    "simple_history",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "toolkit",
    "accounts",
    "diagnosis",
    "requirements_analysis",
    "solutions",
    "tracking",
    "evaluation",
    "knowledge",
    "dashboard",
    "mywork",  # an engineer's home: their tickets by SLA time left, tasks, follow-ups, mentions, approvals
    "jobs",
    "attachments",
    "conversation",  # replies, internal notes and canned replies on the ticket page
    "portal",  # the customer report form and status page, above the core
    "inbound",  # inbound e-mail: new mail opens tickets, replies join their conversation
    "teams",  # teams, routing rules, followers; routing offered to intake through toolkit.chapters
    "search",  # the menu's one search box: tickets, articles, customers (reads knowledge's search documents)
    "hooks",  # outbound event webhooks: signed JSON to endpoints an admin subscribes (toolkit.signals)
    "api",  # the REST API /api/v1/ (django-ninja) and personal API tokens
    "demo",  # seed_demo, above the chapters
]

MIDDLEWARE = [
    # Outermost: a page read that met a lost database connection (a restart) is read again.
    "toolkit.db.DatabaseTroubleMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Below WhiteNoise, so static files get neither the policy nor no-store; every other answer does.
    "csp.middleware.CSPMiddleware",
    "accounts.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "toolkit.middleware.ChineseFirstLocaleMiddleware",
    # After the language is chosen (their refusals are translated), before anything reads the body.
    "toolkit.middleware.RequestSizeLimitMiddleware",
    "toolkit.middleware.NulByteGuardMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): this session passed a two-factor code.
    "django_otp.middleware.OTPMiddleware",
    # Every page needs a login unless its view is marked @login_not_required (the survey link).
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After messages: both send the user to a page with a message saying why.
    "accounts.middleware.SessionTimeoutMiddleware",
    "accounts.middleware.TwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Turns a login refused by django-axes (too many failures) into the locked-out page; last, as axes asks.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "toolkit.urls"
WSGI_APPLICATION = "toolkit.wsgi.application"

# django-ninja's bundled Swagger UI (the API docs page loads nothing from a CDN), found by path rather
# than by listing "ninja" as an app: that would import ninja and pydantic into every web worker at start-up.
_ninja_dir = Path(importlib.util.find_spec("ninja").submodule_search_locations[0])

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates", _ninja_dir / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "toolkit.context_processors.unread_notifications",
            ],
        },
    },
]

# SQLite by default; DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test) switches.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A web server and a worker share the file: WAL, a busy timeout and IMMEDIATE
    # transactions avoid "database is locked" (see PITFALLS.md).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
        }
    )
else:
    # A web worker keeps its connection (and the statements prepared on it, below) for ten minutes;
    # the health check replaces one the server has closed.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=600)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Prepared statements: a persistent connection prepares a query the second time it runs it, and
    # PostgreSQL then plans it once instead of on every request (the ticket page's ticket query, twelve
    # joins, takes 3.8 ms to plan and 0.2 ms to run). Turn off behind a pooler in transaction mode that
    # cannot keep them per connection (PgBouncer before 1.21).
    if env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            {"server_side_binding": True, "prepare_threshold": 2}
        )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "toolkit.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

# Chinese first, complete English.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Bootstrap comes from the bootstrap-wrapper wheel (no CDN, works offline).
_bootstrap_dir = Path(importlib.util.find_spec("bootstrap").submodule_search_locations[0])
STATICFILES_DIRS = [BASE_DIR / "static", ("bootstrap", _bootstrap_dir), _ninja_dir / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
    # Attachments (attachments/storage.py): the file system under MEDIA_ROOT, or an S3-compatible bucket
    # when ATTACHMENTS_S3_BUCKET is set (README "Attachments"). Files are private either way: only the
    # permission-checked views read them back, so no storage URL is ever given out.
    "attachments": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
}
if env.str("ATTACHMENTS_S3_BUCKET", default=""):
    STORAGES["attachments"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("ATTACHMENTS_S3_BUCKET"),
            # Empty: AWS itself; otherwise any S3-compatible service (MinIO, Ceph, OSS, COS …).
            "endpoint_url": env.str("ATTACHMENTS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("ATTACHMENTS_S3_REGION", default="") or None,
            "location": env.str("ATTACHMENTS_S3_PREFIX", default=""),
            # Keys from ATTACHMENTS_S3_ACCESS_KEY_ID / _SECRET_ACCESS_KEY, else boto3's own chain
            # (AWS_ACCESS_KEY_ID …, an instance role).
            "access_key": env.str("ATTACHMENTS_S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("ATTACHMENTS_S3_SECRET_ACCESS_KEY", default="") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }

# In development (and tests) files are looked up per request; production serves the collected, hashed files.
WHITENOISE_AUTOREFRESH = DEBUG
# Only the hashed copies are kept (pages name no other): each web process indexes half the files
# (WhiteNoise's table 0.36 MiB instead of 1.04 per worker) and the deployment holds one copy of each.
WHITENOISE_KEEP_ONLY_HASHED_FILES = True

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Celery: REDIS_URL (or CELERY_BROKER_URL) is the broker. Without either, kombu's filesystem transport
# under .broker/ lets `dev.py run`'s worker and the web server share a queue with no extra service.
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://localhost//")
if CELERY_BROKER_URL.startswith("filesystem://"):
    # The folders are made when the Celery app is first configured (toolkit/celery.py), not here.
    BROKER_DIR = BASE_DIR / ".broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # One folder for both directions: whoever publishes writes where the worker reads.
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        # A consumer takes a message by renaming it into this folder (atomic on one file system).
        "store_processed": True,
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
    }
    CELERY_BEAT_SCHEDULE_FILENAME = str(BROKER_DIR / "celerybeat-schedule")
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Tasks are short and never scheduled far ahead (due times live in the database), so the
        # default hour only matters for a message whose worker died: it is delivered again after it.
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=60 * 60),
        "socket_connect_timeout": 5,
    }
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A named queue per installation (or per test run) when several share one Redis.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_TIME_LIMIT = 5 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 4 * 60
# A task crashed mid-way runs again (tasks are idempotent: the database says what is done).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# With acks_late, take one message at a time so a slow webhook does not hold others unacknowledged.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Chat webhook deliveries go to this queue, served by workers of their own (README "Commands"), so
# a hanging robot never delays the SLA scan, e-mail or import jobs on the default queue.
OUTBOUND_QUEUE = env.str("OUTBOUND_QUEUE", default="outbound")
# Outgoing chat webhooks (toolkit/webhooks.py): the connect deadline, and the total for one request
# including reading the reply. Delivery claims and the deliver task's time limits derive from these.
WEBHOOK_CONNECT_TIMEOUT_SECONDS = env.float("WEBHOOK_CONNECT_TIMEOUT_SECONDS", default=3.0)
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)
if not 0 < WEBHOOK_CONNECT_TIMEOUT_SECONDS <= WEBHOOK_TIMEOUT_SECONDS:
    raise ImproperlyConfigured("WEBHOOK_CONNECT_TIMEOUT_SECONDS must be > 0 and ≤ WEBHOOK_TIMEOUT_SECONDS.")
# Chat webhooks may not reach private, loopback, link-local or multicast addresses unless this is on.
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env.bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", default=False)
# Circuit breaker per webhook: after this many failures in a row its deliveries wait, and one tries
# again after the cool-off.
WEBHOOK_CIRCUIT_FAILURES = env.int("WEBHOOK_CIRCUIT_FAILURES", default=5)
WEBHOOK_CIRCUIT_COOL_OFF_SECONDS = env.int("WEBHOOK_CIRCUIT_COOL_OFF_SECONDS", default=300)
# One beat process only. The scan finds every target and delivery that is due, so a scan message
# that waited longer than a period is useless: it expires rather than piling up while workers are down.
SLA_SCAN_INTERVAL_SECONDS = env.int("SLA_SCAN_INTERVAL_SECONDS", default=60)
# One beat is enforced (toolkit.celery.SingleBeatScheduler): a lock in the broker's Redis, renewed by the
# running beat at least every third of this; a second beat is refused. A beat that dies without
# releasing it (killed, machine lost) blocks a new one for at most this long.
BEAT_LOCK_SECONDS = env.int("BEAT_LOCK_SECONDS", default=60)
# The chapters' own due-date scans (overdue tasks, follow-up visits, job housekeeping) run inside the
# same periodic task, after the SLA scan: each app registers them in toolkit.chapters.
CELERY_BEAT_SCHEDULE = {
    "sla-scan": {
        "task": "toolkit.tasks.sla_scan_task",
        "schedule": float(SLA_SCAN_INTERVAL_SECONDS),
        "options": {"expires": SLA_SCAN_INTERVAL_SECONDS * 0.9},
    },
}
# Inbound e-mail (inbound/, README "Inbound e-mail"): the mailbox as imaps://user:password@host:993/INBOX
# (imap+starttls://…, or imap://… without TLS for tests); empty turns polling off. The poll runs on the
# default queue every INBOUND_EMAIL_POLL_SECONDS; each network step has INBOUND_EMAIL_TIMEOUT_SECONDS.
INBOUND_EMAIL_URL = env.str("INBOUND_EMAIL_URL", default="")
INBOUND_EMAIL_POLL_SECONDS = env.int("INBOUND_EMAIL_POLL_SECONDS", default=60)
INBOUND_EMAIL_TIMEOUT_SECONDS = env.float("INBOUND_EMAIL_TIMEOUT_SECONDS", default=30.0)
# TLS (imaps://, imap+starttls://) verifies the server's certificate and host name against the system's
# trust store, or against this PEM file alone when set (a private CA). Never plain text as a fallback.
INBOUND_EMAIL_CA_FILE = env.str("INBOUND_EMAIL_CA_FILE", default="")
# A larger mail is not downloaded: its header is kept as a failed mail for an admin, the mail stays put.
INBOUND_EMAIL_MAX_BYTES = env.int("INBOUND_EMAIL_MAX_BYTES", default=30 * 1024 * 1024)
# Owner of tickets opened by mail (a username); empty: the first manager. Routing replaces this later.
INBOUND_DEFAULT_OWNER = env.str("INBOUND_DEFAULT_OWNER", default="")
INBOUND_DEFAULT_PROBLEM_TYPE = env.str("INBOUND_DEFAULT_PROBLEM_TYPE", default="functional")
CELERY_BEAT_SCHEDULE["inbound-mail"] = {
    "task": "inbound.tasks.fetch_mail_task",
    "schedule": float(INBOUND_EMAIL_POLL_SECONDS),
    # A poll that waited longer than a period is useless: the next one is due anyway.
    "options": {"expires": INBOUND_EMAIL_POLL_SECONDS * 0.9},
}

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
if not DEBUG and EMAIL_CONFIG["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend":
    # Console mail writes password-reset links and customers' details into the server log. Refuse to
    # start, like a missing secret key: a deploy check is easy to skip, a server that will not start is not.
    raise ImproperlyConfigured(
        "EMAIL_URL must name a real mail server when DJANGO_DEBUG is off (console mail would write "
        "password-reset links into the server log), e.g. smtp+tls://user:password@mail.example.com:587, "
        "or dummymail:// to send no mail at all."
    )
if DEBUG and not env.str("EMAIL_URL", default=""):
    # Development without a mail server: each message is a file here (dev.py prints the path), so
    # reminder e-mails neither flood the terminal nor leave the machine. Created at the first send.
    EMAIL_CONFIG = {
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(BASE_DIR / ".dev" / "mail"),
    }
vars().update(EMAIL_CONFIG)
# Seconds per SMTP operation (Django's default waits for ever): a mail server that hangs fails the
# delivery, which is retried, instead of holding a worker.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="service-toolkit@localhost")
# Replies to customers (conversation/): the From address (empty: DEFAULT_FROM_EMAIL; point it at the
# inbound mailbox so the customer's answers come back), and the domain of the Message-IDs we generate
# (empty: the From address's domain).
REPLY_FROM_EMAIL = env.str("REPLY_FROM_EMAIL", default="")
MESSAGE_ID_DOMAIN = env.str("MESSAGE_ID_DOMAIN", default="")
# Where the app is reached from outside: links in reminder emails and chat messages start with it.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

# Reverse proxies whose X-Forwarded-For names the client (IPs or CIDR networks, comma-separated); see
# toolkit/client_address.py. Empty: the connecting address is the client.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy.strip(), strict=False)
    except ValueError:
        raise ImproperlyConfigured(f"TRUSTED_PROXIES: {_proxy!r} is not an IP address or network.") from None

# Uploaded and generated files (import uploads, job results). Never served as static files: only
# permission-checked views hand them out. Shared storage when web and workers run on several machines.
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
MEDIA_URL = "/media/"
# How long a background job (its report, its files) is kept, in hours.
JOB_RETENTION_HOURS = env.int("JOB_RETENTION_HOURS", default=24)
# An export of more rows than this runs as a job (/exports/<id>/) instead of inside the request, and its
# file is kept for EXPORT_RETENTION_HOURS, for the requester only.
EXPORT_INLINE_MAX_ROWS = env.int("EXPORT_INLINE_MAX_ROWS", default=5_000)
EXPORT_RETENTION_HOURS = env.int("EXPORT_RETENTION_HOURS", default=24)

# Largest Excel file accepted by the import page.
TICKET_IMPORT_MAX_BYTES = env.int("TICKET_IMPORT_MAX_BYTES", default=10 * 1024 * 1024)
TICKET_IMPORT_MAX_ROWS = env.int("TICKET_IMPORT_MAX_ROWS", default=20_000)
# Attachments (attachments/): at most this many bytes per file, in all per ticket, and files per ticket.
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
ATTACHMENTS_MAX_BYTES_PER_TICKET = env.int("ATTACHMENTS_MAX_BYTES_PER_TICKET", default=100 * 1024 * 1024)
ATTACHMENTS_MAX_PER_TICKET = env.int("ATTACHMENTS_MAX_PER_TICKET", default=100)
# The worker's hourly sweep of stored files no attachment names (attachments.services.orphan_sweep). Off
# for a copy of the installation (staging) that reads the production storage with another database.
ATTACHMENTS_ORPHAN_SWEEP = env.bool("ATTACHMENTS_ORPHAN_SWEEP", default=True)
# Largest request body accepted at all (413 above it, before it is read): the import file, or one
# attachment, plus the rest of its form. The proxy may have its own limit; this one holds without it.
REQUEST_MAX_BYTES = env.int(
    "REQUEST_MAX_BYTES", default=max(TICKET_IMPORT_MAX_BYTES, ATTACHMENT_MAX_BYTES) + 1024 * 1024
)
# Form fields other than files, in memory (Django's default, stated); larger uploads spill to disk.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)
FILE_UPLOAD_MAX_MEMORY_SIZE = env.int("FILE_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)
# Rows per page of the diagnosis table (and its HTMX refresh).
DIAGNOSIS_PAGE_SIZE = env.int("DIAGNOSIS_PAGE_SIZE", default=50)
if not 1 <= DIAGNOSIS_PAGE_SIZE <= 500:
    raise ImproperlyConfigured("DIAGNOSIS_PAGE_SIZE must be between 1 and 500.")
# The table counts its matches exactly up to this many; above, PostgreSQL's estimate ("about N"). An exact
# count reads every match: 10,000 of a text search cost 38 ms on 100,000 tickets, 1,000 cost 3 ms, and
# the planner's estimate of a larger result is within a few per cent (18,390 for 18,356 matches).
TABLE_EXACT_COUNT_MAX = env.int("TABLE_EXACT_COUNT_MAX", default=1_000)
# REST API: requests per token per minute before 429 (toolkit.ratelimit, counted in the cache).
API_RATE_LIMIT_PER_MINUTE = env.int("API_RATE_LIMIT_PER_MINUTE", default=600)
# Bulk actions on the table (diagnosis/bulk.py) act on at most this many tickets at once.
BULK_ACTION_MAX_TICKETS = env.int("BULK_ACTION_MAX_TICKETS", default=1_000)

# A load balancer probes the processes directly over plain HTTP: answer it, never redirect it.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
# Production hardening: everything `manage.py check --deploy` asks for when DEBUG is off.
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    if env.bool("DJANGO_BEHIND_TLS_PROXY", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# ---------------------------------------------------------------- sign-in and browser protections
# (accounts/; README "Sign-in and sessions"). Defaults meet PCI DSS 8.3.4 and 8.2.8: at most 10
# failures then at least 30 minutes locked, and re-authentication after 15-30 minutes idle.
AUTHENTICATION_BACKENDS = [
    # django-axes refuses any login attempt for a locked-out account, then the ordinary password check.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Login throttling: after LOGIN_FAILURE_LIMIT wrong passwords (or two-factor codes) for one account
# from anywhere, or from one client address on any accounts (password spraying), signing in there is
# locked for LOGIN_COOLOFF_MINUTES, or until an admin unlocks it (Administration → Access attempts:
# delete the row). A successful login clears the count, so colleagues behind one office address
# who mistype now and then do not add up. The client address comes from TRUSTED_PROXIES.
# Single sign-on, each on when its environment is set: LDAP / Active Directory and OpenID Connect
# (accounts/sso_settings.py lists the variables). Local passwords keep working for admins.
from accounts.sso_settings import sso_settings  # noqa: E402 - read after the backends above

globals().update(sso_settings(env, AUTHENTICATION_BACKENDS))
if globals()["SOCIAL_ENABLED"]:  # WeCom, DingTalk or Feishu sign-in: django-allauth's apps, only then
    from accounts.sso_settings import SOCIAL_APPS, SOCIAL_MIDDLEWARE  # noqa: E402

    INSTALLED_APPS += SOCIAL_APPS
    MIDDLEWARE.insert(MIDDLEWARE.index("axes.middleware.AxesMiddleware"), SOCIAL_MIDDLEWARE)
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=30))
if AXES_FAILURE_LIMIT < 1 or AXES_COOLOFF_TIME.total_seconds() <= 0:
    raise ImproperlyConfigured("LOGIN_FAILURE_LIMIT and LOGIN_COOLOFF_MINUTES must be positive.")
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
AXES_CLIENT_IP_CALLABLE = "accounts.ratelimit.axes_client_address"
# django-axes keeps a row per login (user name, client address, browser) and never deletes it: personal
# data, kept this many days and then removed by the periodic clean-up (accounts.services).
SIGN_IN_LOG_RETENTION_DAYS = env.int("SIGN_IN_LOG_RETENTION_DAYS", default=90)
if SIGN_IN_LOG_RETENTION_DAYS < 1:
    raise ImproperlyConfigured("SIGN_IN_LOG_RETENTION_DAYS must be at least 1.")
# Password-reset requests: at most this many per e-mail address and per client address an hour,
# whether or not the address has an account (the answer never tells).
PASSWORD_RESET_PER_ADDRESS_PER_HOUR = env.int("PASSWORD_RESET_PER_ADDRESS_PER_HOUR", default=3)
PASSWORD_RESET_PER_IP_PER_HOUR = env.int("PASSWORD_RESET_PER_IP_PER_HOUR", default=20)

# Sessions end after SESSION_IDLE_MINUTES without a request from the person (the bell's polling does
# not count) and SESSION_MAX_HOURS after the login, whatever happens in between.
SESSION_IDLE_SECONDS = env.int("SESSION_IDLE_MINUTES", default=30) * 60
SESSION_MAX_SECONDS = env.int("SESSION_MAX_HOURS", default=12) * 60 * 60
if not 0 < SESSION_IDLE_SECONDS <= SESSION_MAX_SECONDS:
    raise ImproperlyConfigured("SESSION_IDLE_MINUTES must be positive and within SESSION_MAX_HOURS.")
SESSION_COOKIE_AGE = SESSION_MAX_SECONDS

# Two-factor sign-in (TOTP, RFC 6238) is open to everyone from the account page; these roles must
# set it up before they can use anything else (comma-separated: engineer, manager, admin; superusers
# count as admin). Off by default so that a new installation can sign in at all.
OTP_REQUIRED_FOR_ROLES = env.list("OTP_REQUIRED_FOR_ROLES", default=[])
if set(OTP_REQUIRED_FOR_ROLES) - {"engineer", "manager", "admin"}:
    raise ImproperlyConfigured("OTP_REQUIRED_FOR_ROLES takes engineer, manager and admin only.")
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Service Toolkit")
# Device secrets and backup codes are never shown in the admin.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Content-Security-Policy on every page: scripts only from our own static files (no inline script or
# handler, no eval), nothing from other sites; styles only from our files too (no <style> element, no
# style attribute: classes in static/css/app.css; scripts may still set element.style, which CSP allows).
# data: images are Bootstrap's icons inside its CSS.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
}

SITE_TITLE = _("Service Toolkit")
