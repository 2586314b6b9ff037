"""Settings for the one-stop desk satisfaction survey (one module, read from the environment).

DJANGO_ENV is `development` (default), `test` or `production`. Production
refuses to start on the embedded database, with DEBUG on, or without its
secrets; see docs/deployment.md for every variable.
"""

import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from common.net import parse_trusted_proxies
from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DJANGO_ENV = env_str("DJANGO_ENV", "development")
if DJANGO_ENV not in {"development", "test", "production"}:
    raise ImproperlyConfigured(
        f"DJANGO_ENV must be development, test or production, not {DJANGO_ENV!r}."
    )
PRODUCTION = DJANGO_ENV == "production"
TESTING = DJANGO_ENV == "test" or "pytest" in sys.modules

DEBUG = env_bool("DEBUG", not PRODUCTION and not TESTING)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off in production (unset DEBUG or set DEBUG=0).")

if PRODUCTION:
    SECRET_KEY = env_str("SECRET_KEY")
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured(
            "The environment variable ALLOWED_HOSTS is required in production "
            "(comma-separated host names, e.g. khaosat.hanoi.gov.vn)."
        )
    if len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("SECRET_KEY must be at least 50 random characters.")
else:
    SECRET_KEY = env_str("SECRET_KEY", "dev-only-insecure-key-never-used-in-production-0123456789")
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])

CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "offices.apps.ScopedAdminConfig",  # django.contrib.admin, delegated by role
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "treebeard",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "ninja",  # its templates and static files: the API docs page served from here
    "django_q",
    "offices",
    "scheduling",
    "surveys",
    "suggestions",
    "inspections",
    "reform",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "offices.second_factor.SecondFactorMiddleware",
    "config.middleware.SessionLifetimeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Axes must come last: it turns a locked-out login into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "offices.context_processors.administration",
                "reports.context_processors.alerts",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
# DATABASE_URL when set; otherwise the embedded PostgreSQL (development and tests only).
DATABASE_URL = env_str("DATABASE_URL", "")
DATABASES: dict[str, dict]
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(  # type: ignore[dict-item]
            DATABASE_URL,
            conn_max_age=env_int("DB_CONN_MAX_AGE", 0 if TESTING else 60),
            # A persistent connection broken by a database restart is replaced at the
            # start of the next request instead of failing it.
            conn_health_checks=True,
        )
    }
elif PRODUCTION:
    raise ImproperlyConfigured(
        "DATABASE_URL is required in production: the embedded PostgreSQL (pgserver) "
        "is for development and tests only."
    )
else:
    from config.embedded_db import embedded_database

    # EMBEDDED_DB_DIR moves the data directory (tests start a throwaway one there).
    DATABASES = {
        "default": embedded_database(Path(env_str("EMBEDDED_DB_DIR", str(BASE_DIR / ".pgdata"))))
    }

# Behind PgBouncer in transaction pooling mode a server-side cursor (QuerySet.iterator())
# could see its next FETCH land on another server connection: set this to 1 there. It
# also tells common.compiled that the server connection may change between transactions,
# so the kiosk's locking read asks it for its prepared statement in the same round trip.
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env_bool(
    "DB_DISABLE_SERVER_SIDE_CURSORS", False
)

# Optional read replica for report pages (docs/scaling.md); off when the variable is unset.
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL", "")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = {
        **dj_database_url.parse(
            DATABASE_REPLICA_URL,
            conn_max_age=env_int("DB_CONN_MAX_AGE", 0 if TESTING else 60),
            conn_health_checks=True,
        ),
        "TEST": {"MIRROR": "default"},
    }
    DATABASE_ROUTERS = ["config.db_router.ReportReplicaRouter"]
    # After a signed-in user's write, their report pages read the primary until the
    # replica has caught up with it, for at most this long (config/db_router.py).
    DATABASE_REPLICA_PIN_SECONDS = env_int("DATABASE_REPLICA_PIN_SECONDS", 60)
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.middleware.common.CommonMiddleware") + 1,
        "config.db_router.ReplicaForReportsMiddleware",
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ------------------------------------------------------------------------
# Rate limits on the public pages count in the cache, so every worker and every
# application server must share it: Redis when REDIS_URL is set; otherwise, in
# production, the database (run `manage.py createcachetable` once); per-process
# memory only in development and tests.
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
elif PRODUCTION:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "django_cache",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Client addresses behind a proxy ------------------------------------------
# Which hops in front of this server may be believed about the client's address
# (common.net.client_ip): none by default, so X-Forwarded-For is ignored; a count of
# proxies ("1" for one nginx), or comma-separated networks ("127.0.0.1/32,10.0.0.0/8").
# Rate limits, lock-outs and audit events all use that one answer. See deployment.md.
TRUSTED_PROXIES = parse_trusted_proxies(env_str("TRUSTED_PROXIES", "0"))

# --- Authentication and lock-out -------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "offices:my_offices"
LOGOUT_REDIRECT_URL = "home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Lock out a username from one address after repeated failures. Never by address
# alone: a whole ward office may sit behind one NAT address.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
AXES_CLIENT_IP_CALLABLE = "common.net.client_ip"
# A second factor (TOTP) for superusers and admin-role users (offices/second_factor.py):
# on by default in production, part of the production checklist (docs/deployment.md).
REQUIRE_SECOND_FACTOR = env_bool("REQUIRE_SECOND_FACTOR", PRODUCTION)
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "Khảo sát một cửa")
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # device secrets are never shown in the admin

# Unknown usernames are counted together, under one name (offices/auth.py).
AXES_USERNAME_CALLABLE = "offices.auth.axes_username"

# Officials' sessions end after inactivity and after an absolute lifetime. The idle
# expiry moves on with use, but a session is written for it at most once a refresh
# interval (config/middleware.py): a report page read is not a database write.
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_MINUTES", 30) * 60
SESSION_IDLE_REFRESH_SECONDS = env_int("SESSION_IDLE_REFRESH_SECONDS", 60)
SESSION_SAVE_EVERY_REQUEST = False
SESSION_ABSOLUTE_LIFETIME = env_int("SESSION_MAX_HOURS", 10) * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# --- Internationalisation ---------------------------------------------------
LANGUAGE_CODE = "vi"
LANGUAGES = [
    ("vi", _("Vietnamese")),
    ("en", _("English")),
    ("fa", _("Persian")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

# --- Static and media files ---------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
# Files that only a scoped view may serve (inspection attachments, PAR INDEX evidence):
# outside MEDIA_ROOT, so neither the web server nor the DEBUG static route hands them
# out. With nginx in front, set PRIVATE_FILES_X_ACCEL_PREFIX to an `internal` location
# aliasing this folder and nginx sends the bytes (docs/deployment.md).
PRIVATE_MEDIA_ROOT = Path(env_str("PRIVATE_MEDIA_ROOT", str(BASE_DIR / "private")))
PRIVATE_FILES_X_ACCEL_PREFIX = env_str("PRIVATE_FILES_X_ACCEL_PREFIX", "")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- E-mail -----------------------------------------------------------------
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "khaosat@localhost")

# --- Security headers -----------------------------------------------------------
# No inline script or style anywhere: per-page JS lives in static/<app>/<page>.js.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # /healthz is probed over plain HTTP by load balancers inside the network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}, "pgserver": {"level": "WARNING"}},
}

# --- Product settings ---------------------------------------------------------------
# Citizens' IP addresses and contact details are removed after this many days
# (`manage.py purge_personal_data`, run nightly); anonymous scores are kept.
PERSONAL_DATA_RETENTION_DAYS = env_int("PERSONAL_DATA_RETENTION_DAYS", 180)

# The address officials open links in e-mails at (alerts, monthly reports).
# Production defaults to https:// and the first of ALLOWED_HOSTS.
SITE_URL = env_str(
    "SITE_URL", f"https://{ALLOWED_HOSTS[0]}" if PRODUCTION else "http://127.0.0.1:8000"
).rstrip("/")

# --- Scheduled jobs (django-q2, docs/deployment.md "Scheduled jobs") ----------------
# The queue and the schedules live in PostgreSQL (the ORM broker): no Redis or other
# service. `manage.py qcluster` is the worker (`make run` starts one). Delivery is at
# least once, so every job is idempotent in our own tables (scheduling.JobRun,
# reports.ReportDelivery, reports.Alert); two workers are safe.
JOB_TIMEOUT_SECONDS = env_int("JOB_TIMEOUT_SECONDS", 3600)
Q_CLUSTER = {
    "name": "onestop",
    "orm": "default",
    "workers": env_int("JOB_WORKERS", 2),
    "timeout": JOB_TIMEOUT_SECONDS,
    # A task not acknowledged after this long is handed out again: longer than the timeout,
    # so a job still running is never given to a second worker.
    "retry": JOB_TIMEOUT_SECONDS + 300,
    "max_attempts": 3,
    # After downtime a schedule runs once, not once per missed interval.
    "catch_up": False,
    # Keep each schedule's own recent successes (failures are always kept).
    "save_limit": 50,
    "save_limit_per": "group",
    "poll": 2,
    "label": _("Scheduled jobs"),
    # Tests call the jobs directly, or run the scheduler in-process with a controlled clock.
    "sync": TESTING,
}
# name → (function, cron in TIME_ZONE). Created or re-pointed in the database on every
# `migrate` (scheduling.schedules); an admin may change the timing in /admin/.
SCHEDULED_JOBS = {
    # Rating-driven alerts and kiosks, every minute: an alert within a minute or two.
    "alerts-minute": ("reports.tasks.evaluate_recent_alerts", "* * * * *"),
    # Index drops, suggestions past deadline, best months, and a wider look at ratings.
    "alerts-sweep": ("reports.tasks.evaluate_all_alerts", "*/15 * * * *"),
    "monthly-reports": ("reports.tasks.send_monthly_reports", "15 * * * *"),
    "purge-personal-data": ("scheduling.tasks.purge_personal_data", "30 2 * * *"),
    # Closes last month for every office from MONTH_CLOSE_DAY (once per month; daily so a
    # worker that was down catches up).
    "close-month": ("reports.tasks.close_last_month", "5 0 * * *"),
}
# The monthly report of a month goes out from this day and local hour of the next month.
MONTHLY_REPORT_DAY = env_int("MONTHLY_REPORT_DAY", 1)
MONTHLY_REPORT_HOUR = env_int("MONTHLY_REPORT_HOUR", 7)
# A monthly e-mail that fails is tried again at the next run, this many times in all.
MONTHLY_REPORT_ATTEMPTS = env_int("MONTHLY_REPORT_ATTEMPTS", 3)
# A month closes when its report is sent, and at the latest on this day of the next month
# (local midnight, 1–28): a rating dated into a closed month arrives late (docs/alerts.md).
MONTH_CLOSE_DAY = env_int("MONTH_CLOSE_DAY", 5)


# The integration API (/api/v1/, docs/api.md).
API = {
    # How long a "dossier returned" event keeps the desk's kiosk armed for that dossier.
    "ARMING_SECONDS": env_int("API_ARMING_SECONDS", 180),
}

# The public transparency board of an office (opt-in, /board/<office>/).
BOARD = {
    # A month's index, n and response rate are published only from this many ratings.
    "MIN_N": env_int("BOARD_MIN_N", env_int("SURVEY_SMALL_SAMPLE_N", 30)),
    # The share of suggestions answered on time, only from this many assessable ones.
    "SUGGESTIONS_MIN_N": env_int("BOARD_SUGGESTIONS_MIN_N", 5),
    # A rendered board is kept this long: a popular board costs no database work per view.
    "CACHE_SECONDS": env_int("BOARD_CACHE_SECONDS", 600),
}

# Alert thresholds (docs/alerts.md). A unit may override each one for its subtree in the
# admin (Alert settings); 0 switches a rule off.
ALERTS = {
    "low_streak": env_int("ALERT_LOW_STREAK", 5),
    "low_window": env_int("ALERT_LOW_WINDOW", 20),
    "low_share_percent": env_int("ALERT_LOW_SHARE_PERCENT", 40),
    "index_drop_min_n": env_int("ALERT_INDEX_DROP_MIN_N", 30),
    "kiosk_silent_minutes": env_int("ALERT_KIOSK_SILENT_MINUTES", 30),
    "kiosk_queue_max": env_int("ALERT_KIOSK_QUEUE_MAX", 50),
    "kiosk_refused_max": env_int("ALERT_KIOSK_REFUSED_MAX", 1),
    "suggestions_overdue": env_int("ALERT_SUGGESTIONS_OVERDUE", 1),
    "best_month_min_n": env_int("ALERT_BEST_MONTH_MIN_N", 30),
}

# Every product setting is declared here with its default and read the same way,
# `settings.GROUP["KEY"]`; tests override a whole group: `{**settings.GROUP, "KEY": 1}`.
SURVEY = {
    # Reports warn below this many ratings; per-staff rows are hidden below the second.
    "SMALL_SAMPLE_N": env_int("SURVEY_SMALL_SAMPLE_N", 30),
    "STAFF_MIN_N": env_int("SURVEY_STAFF_MIN_N", 10),
    # A phone rating sent faster than this after the form opened is a script's: flagged.
    "PUBLIC_MIN_SECONDS": env_int("SURVEY_PUBLIC_MIN_SECONDS", 5),
    # Kiosk misuse, judged on the server's receive times (docs/kiosk.md, "Misuse"): a rating
    # is live when it arrives within KIOSK_LIVE_SECONDS of being given; at most
    # KIOSK_LIVE_PER_MINUTE live ratings a minute and KIOSK_BACKLOG_PER_HOUR backlog ratings
    # given in one clock hour are taken unflagged.
    "KIOSK_LIVE_SECONDS": env_int("SURVEY_KIOSK_LIVE_SECONDS", 120),
    "KIOSK_LIVE_PER_MINUTE": env_int("SURVEY_KIOSK_LIVE_PER_MINUTE", 4),
    "KIOSK_BACKLOG_PER_HOUR": env_int("SURVEY_KIOSK_BACKLOG_PER_HOUR", 60),
    # Phone and QR misuse (docs/kiosk.md, "Phone and QR misuse"): beyond PHONE_PER_DEVICE
    # ratings from one device cookie, or PHONE_PER_ADDRESS from one address (a ward's
    # public Wi-Fi is shared), at one office within PHONE_WINDOW_SECONDS, a rating is
    # stored flagged. A form sent within PUBLIC_MIN_SECONDS (above) is flagged too.
    "PHONE_WINDOW_SECONDS": env_int("SURVEY_PHONE_WINDOW_SECONDS", 900),
    "PHONE_PER_DEVICE": env_int("SURVEY_PHONE_PER_DEVICE", 2),
    "PHONE_PER_ADDRESS": env_int("SURVEY_PHONE_PER_ADDRESS", 10),
}

SUGGESTIONS = {
    # Deadlines, in working days (Monday to Friday) after the day a suggestion arrives.
    "SEEN_WITHIN_WORKING_DAYS": env_int("SUGGESTIONS_SEEN_WITHIN_WORKING_DAYS", 2),
    "ANSWER_WITHIN_WORKING_DAYS": env_int("SUGGESTIONS_ANSWER_WITHIN_WORKING_DAYS", 10),
    # A person needs at least this long to write a suggestion; faster means a script.
    "MIN_FILL_SECONDS": env_int("SUGGESTIONS_MIN_FILL_SECONDS", 3),
    # The signed form timestamp expires after this long (the form is then shown again).
    "FORM_MAX_AGE_SECONDS": env_int("SUGGESTIONS_FORM_MAX_AGE_SECONDS", 12 * 3600),
    # A suggestion posted for an office that no longer takes them is kept (in the session)
    # while the citizen finds the office, for this long; on a kiosk, shared by the next
    # citizen, for much less.
    "DRAFT_KEEP_SECONDS": env_int("SUGGESTIONS_DRAFT_KEEP_SECONDS", 30 * 60),
    "KIOSK_DRAFT_KEEP_SECONDS": env_int("SUGGESTIONS_KIOSK_DRAFT_KEEP_SECONDS", 3 * 60),
}

# Rate limits per client address (common.ratelimit), as (requests, window in seconds),
# counted in the shared cache. A kiosk's whole office may share one address.
RATE_LIMITS = {
    # The public rating pages (/r/…): form posts and page views.
    "survey_post": (env_int("RATE_LIMIT_SURVEY_POSTS", 20), 600),
    "survey_view": (env_int("RATE_LIMIT_SURVEY_VIEWS", 120), 600),
    # The suggestion book: new suggestions, and look-ups of a tracking code.
    "suggestion_submit": (env_int("RATE_LIMIT_SUGGESTION_SUBMITS", 20), 3600),
    "suggestion_lookup": (env_int("RATE_LIMIT_SUGGESTION_LOOKUPS", 30), 600),
    # The integration API (/api/v1/): requests per API client, whatever its address.
    "api_client": (env_int("RATE_LIMIT_API_CLIENT", 120), 60),
    # Officials' log-in form posts and password-reset requests, per client address.
    "login": (env_int("RATE_LIMIT_LOGINS", 30), 600),
    "password_reset": (env_int("RATE_LIMIT_PASSWORD_RESETS", 5), 3600),
    # Wrong PINs typed at one kiosk's staff corner (counted per kiosk, failures only).
    "kiosk_pin": (env_int("RATE_LIMIT_KIOSK_PINS", 5), 600),
}

# HSTS preload is a commitment for the whole domain that the city's IT department
# makes (hstspreload.org), not this application; enable it with SECURE_HSTS_PRELOAD=1.
SILENCED_SYSTEM_CHECKS = [] if not PRODUCTION or SECURE_HSTS_PRELOAD else ["security.W021"]
