"""Settings for the course marketplace.

Every value that differs between machines is read from the environment here and nowhere else.
Defaults are safe: DEBUG is off unless asked for, and a production secret has no default.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_flag("DJANGO_DEBUG")

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")
    SECRET_KEY = "django-insecure-local-development-only"

PORT = int(os.environ.get("PORT", "8000"))
SITE_URL = os.environ.get("SITE_URL", f"http://127.0.0.1:{PORT}").rstrip("/")

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

# --- Stripe -------------------------------------------------------------------------------------
# With no key configured the embedded sandbox (stripe_sandbox/) stands in for Stripe, the way
# SQLite stands in for PostgreSQL. A real test key switches the sandbox off entirely.
STRIPE_SANDBOX_KEY_PREFIX = "sk_test_sandbox"
STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "") or "sk_test_sandbox_platform"
STRIPE_SANDBOX_ENABLED = STRIPE_SECRET_KEY.startswith(STRIPE_SANDBOX_KEY_PREFIX)
STRIPE_SANDBOX_ALLOWED = env_flag("STRIPE_SANDBOX_ALLOWED")
if STRIPE_SANDBOX_ENABLED and not DEBUG and not STRIPE_SANDBOX_ALLOWED:
    raise ImproperlyConfigured(
        "The Stripe sandbox stands in for Stripe because STRIPE_SECRET_KEY is not a real key, "
        "but DJANGO_DEBUG is off. Set real Stripe keys, or STRIPE_SANDBOX_ALLOWED=1 to run the "
        "sandbox anyway."
    )


def _sandbox_default(name: str, sandbox_value: str) -> str:
    return os.environ.get(name, "") or (sandbox_value if STRIPE_SANDBOX_ENABLED else "")


STRIPE_PUBLISHABLE_KEY = _sandbox_default("STRIPE_PUBLISHABLE_KEY", "pk_test_sandbox_platform")
STRIPE_CONNECT_CLIENT_ID = _sandbox_default("STRIPE_CONNECT_CLIENT_ID", "ca_sandbox_platform")
STRIPE_WEBHOOK_SECRET = _sandbox_default("STRIPE_WEBHOOK_SECRET", "whsec_sandbox_platform")
STRIPE_CONNECT_WEBHOOK_SECRET = _sandbox_default(
    "STRIPE_CONNECT_WEBHOOK_SECRET", "whsec_sandbox_connect"
)
# Memberships: after a renewal fails, the member keeps access this many days while Stripe retries
# the card and they update it; then access stops even if Stripe has not ended the subscription.
MEMBERSHIP_GRACE_DAYS = int(os.environ.get("MEMBERSHIP_GRACE_DAYS", "7"))
if not STRIPE_SANDBOX_ENABLED and not DEBUG:
    _missing = [
        name
        for name, value in [
            ("STRIPE_CONNECT_CLIENT_ID", STRIPE_CONNECT_CLIENT_ID),
            ("STRIPE_WEBHOOK_SECRET", STRIPE_WEBHOOK_SECRET),
            ("STRIPE_CONNECT_WEBHOOK_SECRET", STRIPE_CONNECT_WEBHOOK_SECRET),
        ]
        if not value
    ]
    if _missing:
        raise ImproperlyConfigured(f"With a real Stripe key, set {', '.join(_missing)} too.")
# Where the SDK sends requests: the sandbox mounted in this site, or Stripe itself.
STRIPE_API_BASE = f"{SITE_URL}/stripe-sandbox" if STRIPE_SANDBOX_ENABLED else None
# `make serve` runs the sandbox's API in processes of its own, as Stripe is another service: a web
# worker waiting on the sandbox never waits for one of its own threads. The app's API calls go
# there; the OAuth consent page stays on STRIPE_API_BASE, the browser's way in.
STRIPE_SANDBOX_API_URL = os.environ.get("STRIPE_SANDBOX_API_URL", "").rstrip("/")
# The base of the sandbox's hosted pages (checkout, onboarding) in the links its API returns;
# empty means the host the API request came to.
STRIPE_SANDBOX_PUBLIC_URL = os.environ.get("STRIPE_SANDBOX_PUBLIC_URL", "").rstrip("/")
# The redirect URIs registered for the platform's Connect application (at Stripe: Dashboard,
# Connect, Onboarding options, OAuth). The sandbox's consent page accepts only these, as Stripe.
STRIPE_SANDBOX_OAUTH_REDIRECT_URIS = env_list(
    "STRIPE_SANDBOX_OAUTH_REDIRECT_URIS", f"{SITE_URL}/connect/oauth/callback/"
)
# The sandbox delivers its webhooks here (the app's own endpoints).
STRIPE_SANDBOX_WEBHOOK_URL = f"{SITE_URL}/checkout/webhook/"
STRIPE_SANDBOX_CONNECT_WEBHOOK_URL = f"{SITE_URL}/checkout/webhook/connect/"
# The sandbox's webhook sender: a worker thread delivers with retries; None keeps its own retry
# schedule (short with DEBUG, close to Stripe's otherwise); seconds before a delivery times out.
STRIPE_SANDBOX_WEBHOOK_WORKER = True
STRIPE_SANDBOX_WEBHOOK_RETRY_DELAYS = None
STRIPE_SANDBOX_WEBHOOK_TIMEOUT = 10

# --- Applications -------------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # The form renderer reads Django's own form templates from here, beside the site's.
    "django.forms",
    "django_htmx",
    "allauth",
    "allauth.account",
    "django_tasks_db",
    "accounts",
    "catalog",
    "checkout",
    "dashboards",
]
if STRIPE_SANDBOX_ENABLED:
    INSTALLED_APPS.append("stripe_sandbox")

MIDDLEWARE = [
    # One log line per request, tagged with its id (first, so it times and tags everything).
    "site_config.request_log.RequestLogMiddleware",
    # /healthz/ answers before the host check and the HTTPS redirect (load balancer probes).
    "site_config.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "site_config.urls"
WSGI_APPLICATION = "site_config.wsgi.application"
ASGI_APPLICATION = "site_config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "site_config.context_processors.stripe_mode",
            ],
            "builtins": ["catalog.templatetags.money"],
        },
    },
]

# Forms and fields render through templates/components/ (labels, help, errors under the field).
FORM_RENDERER = "site_config.forms.SiteFormRenderer"

# --- Database -----------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
# Each server thread keeps its database connection for ten minutes instead of opening one per
# request, and checks it is alive before reusing it after an error or an idle spell. On
# PostgreSQL a new connection costs a few milliseconds (network, authentication); on SQLite it
# costs the file open, Django's registering its SQL functions and the PRAGMAs below, about as much
# as a whole cheap request.
DATABASE_CONN_MAX_AGE = int(os.environ.get("DATABASE_CONN_MAX_AGE", "600"))
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL, conn_max_age=DATABASE_CONN_MAX_AGE, conn_health_checks=True
    ),
}
if STRIPE_SANDBOX_ENABLED:
    # The sandbox keeps its state apart so it never shares a transaction with the app.
    DATABASES["stripe_sandbox"] = dj_database_url.parse(
        os.environ.get("STRIPE_SANDBOX_DATABASE_URL", "")
        or f"sqlite:///{BASE_DIR / 'stripe_sandbox.sqlite3'}",
        conn_max_age=DATABASE_CONN_MAX_AGE,
        conn_health_checks=True,
    )
    DATABASE_ROUTERS = ["stripe_sandbox.routers.SandboxRouter"]
# SQLite, once per connection: WAL lets the web server, the task worker and the sandbox read
# while one writes; with WAL, synchronous=NORMAL syncs the disk at checkpoints instead of at
# every commit. A commit then survives the process crashing but not the machine losing power
# (the database is never corrupted); PostgreSQL is the database for that kind of durability.
# Write transactions take the write lock when they begin (IMMEDIATE), so two writers wait for
# each other (up to the 5 s timeout) instead of one failing with "database is locked".
SQLITE_INIT_COMMAND = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL"
for _database in DATABASES.values():
    if _database["ENGINE"] == "django.db.backends.sqlite3":
        _database.setdefault("OPTIONS", {}).update(
            {"init_command": SQLITE_INIT_COMMAND, "transaction_mode": "IMMEDIATE"}
        )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Users and allauth --------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "accounts:account"
ACCOUNT_LOGOUT_REDIRECT_URL = "home"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
# Account enumeration: allauth hides whether an address has an account only when addresses
# are verified. Sign-up with a taken address then shows the same "check your email" page as a
# new one, and the owner gets an "you already have an account" email instead of the form saying
# so. Verification therefore is mandatory; confirming the address logs the new user in.
ACCOUNT_EMAIL_VERIFICATION = os.environ.get("ACCOUNT_EMAIL_VERIFICATION", "mandatory")
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupForm"
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
# Rate limits count per client address. Behind N proxies of your own (a load balancer), allauth
# takes the client's address from X-Forwarded-For; with 0 it ignores that header, which a client
# could forge.
ALLAUTH_TRUSTED_PROXY_COUNT = int(os.environ.get("DJANGO_TRUSTED_PROXY_COUNT", "0"))

# --- Internationalisation -----------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Static files -------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Content Security Policy: no inline script or style without the request's nonce -------------
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "form-action": [CSP.SELF, *([] if STRIPE_SANDBOX_ENABLED else ["https://*.stripe.com"])],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

# --- Email --------------------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = os.environ.get(
    "DEFAULT_FROM_EMAIL", "Course Marketplace <noreply@example.com>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_MODE = os.environ.get("EMAIL_MODE", "console" if DEBUG else "smtp")
if EMAIL_MODE == "console":
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
elif EMAIL_MODE == "smtp":
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": os.environ.get("EMAIL_HOST", "localhost"),
                "port": int(os.environ.get("EMAIL_PORT", "587")),
                "username": os.environ.get("EMAIL_HOST_USER", ""),
                "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
                "use_tls": env_flag("EMAIL_USE_TLS", True),
                "timeout": 10,
            },
        }
    }
else:
    raise ImproperlyConfigured(f"EMAIL_MODE must be 'console' or 'smtp', not {EMAIL_MODE!r}.")

# --- Dashboards ---------------------------------------------------------------------------------
# How often an open sales dashboard asks for new sales.
DASHBOARD_POLL_SECONDS = 15

# --- Background tasks ---------------------------------------------------------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# --- Cache --------------------------------------------------------------------------------------
# allauth's rate limits (login, sign-up, password reset) and email cool-downs count in the
# cache. The local-memory cache is one process's own: under several gunicorn workers or machines
# each would count apart. REDIS_URL shares one cache between all of them.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "marketplace"),
            # A Redis that stops answering fails a request in a second instead of hanging it.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# How long the catalog's course cards stay cached (catalog/fragment_cache.py). A change replaces
# their version at once in a shared cache; a local one is per process, so there the others may
# show the old cards this long.
CATALOG_CACHE_SECONDS = int(os.environ.get("CATALOG_CACHE_SECONDS", "300" if REDIS_URL else "10"))

# --- Security -----------------------------------------------------------------------------------
SESSION_COOKIE_SECURE = not DEBUG and SITE_URL.startswith("https://")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_flag("DJANGO_SECURE_SSL_REDIRECT", SESSION_COOKIE_SECURE)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_flag("DJANGO_BEHIND_TLS_PROXY") else None
)
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
# Asking browsers to hard-code HTTPS for the domain (and every subdomain) is hard to undo, so it
# is a decision for whoever owns the domain: set DJANGO_HSTS_PRELOAD=1 once that is settled.
SECURE_HSTS_PRELOAD = env_flag("DJANGO_HSTS_PRELOAD") and not DEBUG
# Without preload, `check --deploy` warns (security.W021); staying off the preload list is a
# decision here, not an oversight, so that one warning is silenced until the flag is set.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_REFERRER_POLICY = "same-origin"

# --- Logs: one line per request and per task, each with its request id, on stderr ---------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "site_config.request_log.RequestIdFilter"}},
    "formatters": {
        "line": {
            "format": "%(asctime)s %(levelname)-7s [%(request_id)s] %(name)s: %(message)s",
            "datefmt": "%H:%M:%S",
        }
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "line",
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # The Stripe SDK logs request and response bodies at debug level: they would carry the ID
        # numbers and bank account numbers a Custom seller sends, so it never logs below INFO.
        "stripe": {"level": "INFO"},
        # site_config.request_log's request line replaces Django's "GET /x 200"; errors still log.
        "django.server": {"level": "WARNING"},
        "django.request": {"level": "ERROR"},
        # Its task line replaces Django's start and finish lines; failures log with a traceback.
        "django.tasks": {"level": "WARNING"},
    },
}
