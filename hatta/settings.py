"""hatta settings: one module, driven by environment variables (12-factor)."""

import os
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def load_dotenv(path):
    """Local development settings from `.env` (KEY=value lines); the real
    environment always wins, and tests never read it."""
    if not path.is_file():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and key and not key.startswith("#"):
            os.environ.setdefault(key.strip(), value.strip())


if "PYTEST_VERSION" not in os.environ:
    load_dotenv(BASE_DIR / ".env")


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG")
# Under pytest (which sets PYTEST_VERSION) or when asked: test-friendly defaults.
TESTING = env_bool("HATTA_TESTING") or "PYTEST_VERSION" in os.environ

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not (DEBUG or TESTING):
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key-never-use-in-production-0123456789abcdef"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if (DEBUG or TESTING) else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "roles",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "bootstrap",
    "js_lib_bootstrap_icons",
    "django_htmx",
    "axes",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "roles.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "roles.middleware.PrivateCacheMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "roles.middleware.LastSeenMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "hatta.urls"
WSGI_APPLICATION = "hatta.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several requests write at once (htmx cell edits): wait for the lock, don't fail.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    if TESTING:
        # A file, not memory: job tests start real worker processes on the test database.
        DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / ".test-db.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "roles.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    # Tests sign in hundreds of times; the production hasher (PBKDF2, Django's default
    # cost) stays for everything else.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "roles:home"
LOGOUT_REDIRECT_URL = "account_login"
PASSWORD_RESET_TIMEOUT = 3 * 24 * 3600

# The client's address is the one the proxies in front of hatta saw (roles/network.py):
# behind nginx on the same machine, TRUSTED_PROXY_COUNT=1. With 0, X-Forwarded-For is ignored.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT  # the same reading for django-allauth

# Sign-in (django-allauth): email and password, no open sign-up (an organisation's
# admin invites people), two-factor by authenticator app or security key.
ACCOUNT_ADAPTER = "roles.auth.AccountAdapter"
# The reset only queues a job: the worker looks the address up and mails.
ACCOUNT_FORMS = {"reset_password": "roles.auth.QueuedResetPasswordForm"}
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = True
# Failed sign-ins are counted and locked out by django-axes below.
ACCOUNT_RATE_LIMITS = {"login_failed": False}
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_TOTP_ISSUER = "hatta"
MFA_PASSKEY_LOGIN_ENABLED = False
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG or TESTING

# Brute force: lock (username, IP) after 5 failures for 15 minutes; never permanently.
# And any address after 20 failures over all accounts (roles.auth.SignInHandler).
AXES_FAILURE_LIMIT = 5
SIGN_IN_ADDRESS_LIMIT = 20
AXES_HANDLER = "roles.auth.SignInHandler"
AXES_CLIENT_IP_CALLABLE = "roles.network.client_address"
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "login"
AXES_USERNAME_CALLABLE = "roles.auth.axes_username"
AXES_LOCKOUT_TEMPLATE = "registration/locked.html"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env_bool("AXES_ENABLED", True)

LANGUAGE_CODE = "sv"
LANGUAGES = [("sv", _("Swedish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "roles" / "locale"]
# One date format per language: "4 dec. 2026" / "4 Dec 2026" in running text,
# ISO dates in tables (hatta/formats/<language>/formats.py).
FORMAT_MODULE_PATH = ["hatta.formats"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Stockholm")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Job results (handbooks, exports): a private folder, never served as static files;
# downloads go through the job page's tenant check. For S3-compatible storage install
# django-storages and set JOB_STORAGE_BACKEND=storages.backends.s3.S3Storage plus its
# AWS_* variables (see README).
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "jobs": {
        "BACKEND": os.environ.get(
            "JOB_STORAGE_BACKEND", "django.core.files.storage.FileSystemStorage"
        ),
        "OPTIONS": (
            {"location": str(MEDIA_ROOT / "jobs")}
            if "JOB_STORAGE_BACKEND" not in os.environ
            else {}
        ),
    },
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not (DEBUG or TESTING)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING
WHITENOISE_AUTOREFRESH = DEBUG or TESTING

# Background jobs: django.tasks with the database backend (django-tasks-db); a worker
# runs `manage.py worker`. Another backend is a settings change (see README).
TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}
JOB_STORAGE = "jobs"
# The site's address, for links in emails sent by jobs (no request to ask).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")
# How often each worker queues the scheduler's run (roles/reminders.py).
REMINDER_SECONDS = int(os.environ.get("REMINDER_SECONDS", "3600"))
JOB_RETENTION_DAYS = int(os.environ.get("JOB_RETENTION_DAYS", "7"))
# A running job whose worker has shown no sign of life for this long is retried once,
# then failed; /healthz is unhealthy when no worker was seen for WORKER_STALE_SECONDS.
WORKER_BEAT_SECONDS = float(os.environ.get("WORKER_BEAT_SECONDS", "5"))
JOB_STALE_SECONDS = float(os.environ.get("JOB_STALE_SECONDS", "30"))
WORKER_STALE_SECONDS = int(os.environ.get("WORKER_STALE_SECONDS", "30"))
# Per kind: wall-clock seconds and resident memory (bytes) of the child process that
# runs it (the worker watches both; see roles/jobs.py). Measured peaks: bench/README.md.
MB = 2**20
JOB_LIMITS = {
    "handbook": {"seconds": 600, "memory": 400 * MB},
    "xlsx": {"seconds": 300, "memory": 600 * MB},
    "csv": {"seconds": 300, "memory": 600 * MB},
    "backup": {"seconds": 300, "memory": 600 * MB},
    "import_read": {"seconds": 60, "memory": 300 * MB},
    "import_apply": {"seconds": 300, "memory": 600 * MB},
    "numbers_read": {"seconds": 60, "memory": 300 * MB},
    "numbers_apply": {"seconds": 300, "memory": 300 * MB},
}
# Jobs run in a child process with those limits; False runs them inside the worker
# (tests of job logic that do not test the limits).
JOBS_IN_CHILD = env_bool("JOBS_IN_CHILD", True)
# Processes a handbook job lays its chapters out on at once (0: one per core).
HANDBOOK_PROCESSES = int(os.environ.get("HANDBOOK_PROCESSES", "0"))

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Each process keeps its own cache; every key holds what its entry depends on
# (roles/pagecache.py), so no server serves another's stale entry. The kept page
# contents have a cache of their own with a bounded number of entries: the
# largest (the matrix at XL) is about 300 KB, so 100 entries stay near 30 MB a
# process.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "hatta"},
    "pages": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "hatta-pages",
        "OPTIONS": {"MAX_ENTRIES": int(os.environ.get("PAGE_CACHE_ENTRIES", "100"))},
    },
}

# Sessions and messages live in the database and cookies, so several app servers
# can share one database.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
MESSAGE_STORAGE = "django.contrib.messages.storage.cookie.CookieStorage"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600

# Request bodies, checked before Django reads them (hatta/limits.py, in hatta/wsgi.py):
# the import page takes a file of at most 5 MB plus the form around it; every other
# URL a small form. nginx: see README (client_max_body_size).
MAX_REQUEST_BODY = int(os.environ.get("MAX_REQUEST_BODY", str(1024 * 1024)))
MAX_IMPORT_BODY = 5 * 1024 * 1024 + 64 * 1024
IMPORT_PATH_PATTERN = r"/o/[-a-zA-Z0-9_]+/matrix/import/"

# Uploads: imports are read from memory; anything bigger than this is refused by the form.
DATA_UPLOAD_MAX_MEMORY_SIZE = 6 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 6 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 5000

# Security headers (always on) and production-only transport security.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not TESTING)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not TESTING)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    if env_bool("BEHIND_PROXY", True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# Email: SMTP in production (EMAIL_HOST, else Django's default, the mail server on
# localhost:25); the console in development unless EMAIL_HOST is set.
email_host = os.environ.get("EMAIL_HOST", "")  # lower case: not a Django setting
if email_host or not (DEBUG or TESTING):
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": email_host or "localhost",
                "port": int(os.environ.get("EMAIL_PORT", "587" if email_host else "25")),
                "username": os.environ.get("EMAIL_HOST_USER", ""),
                "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
                "use_tls": env_bool("EMAIL_USE_TLS", bool(email_host)),
                "use_ssl": env_bool("EMAIL_USE_SSL", False),
                "timeout": 10,
            },
        }
    }
else:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "hatta <noreply@hatta.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "roles.middleware.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"}
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        "django.security": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        "axes": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}
