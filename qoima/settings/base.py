"""Settings for the embedded default (``make run``): every value comes from the environment.

Without any environment the platform runs on SQLite, kombu's filesystem broker and the
project's own anvil, all kept under ``var/``.
"""

import datetime
from pathlib import Path

import django_stubs_ext
import environ
from django.utils.translation import gettext_lazy as _

from qoima.events import logging_config

# Lets generic Django classes (ModelForm[X], QuerySet[X]) be subscripted at run time.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()

VAR_DIR = Path(env.str("QOIMA_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

# The embedded default is a local demo; production.py demands a real secret and refuses this one.
DEMO_SECRET_KEY = "embedded-default-not-for-production-0123456789abcdef"  # noqa: S105
SECRET_KEY = env.str("SECRET_KEY", default=DEMO_SECRET_KEY)
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "knox",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "drf_spectacular",
    "django_htmx",
    "django_bootstrap5",
    "qoima.ui",
    "qoima.audit",
    "qoima.participants",
    "qoima.accounts",
    "qoima.custody",
    "qoima.chain",
    "qoima.exchange",
    "qoima.enforcement",
    "issuance",
    "registry",
]

MIDDLEWARE = [
    # First: an oversized body is refused before anything reads it (qoima/http.py).
    "qoima.http.RequestBodyLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After the user is known: whether this session proved a second factor (django-otp); a
    # session past its role's lifetime is signed out; one that owes its second factor reaches
    # only the second factor's pages; anonymous pages count against their address's rate.
    "django_otp.middleware.OTPMiddleware",
    "qoima.accounts.policy.SessionLifetimeMiddleware",
    "qoima.accounts.second_factor.SecondFactorMiddleware",
    "qoima.throttling.ThrottleMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "qoima.errors.ApplicationErrorMiddleware",
    # Last, as django-axes asks: answers a locked-out sign-in with the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "qoima.urls"
WSGI_APPLICATION = "qoima.wsgi.application"
ASGI_APPLICATION = "qoima.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "qoima" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "qoima.participants.context_processors.role",
            ],
        },
    },
]

if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "qoima.sqlite3",
            "OPTIONS": {
                # IMMEDIATE takes the write lock at BEGIN, so concurrent writers queue on
                # busy_timeout instead of failing with "database is locked" mid-transaction.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "participants.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# Length first, as NIST SP 800-63B asks: no rules of character classes; a password too like the
# account's name or e-mail, among the 20,000 most common ones (Django's list, drawn from
# breaches), or digits only is refused.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "qoima.accounts.passwords.RoleMinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_STAFF_MIN_LENGTH = env.int("PASSWORD_STAFF_MIN_LENGTH", default=12)
PASSWORD_MIN_LENGTH = env.int("PASSWORD_MIN_LENGTH", default=10)
PASSWORD_MAX_LENGTH = 256
# The emailed link to reset a password works this long, once.
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT_SECONDS", default=3600)

# --- Accounts and access (README "Security"; qoima/accounts/) -----------------------------
# The platform's own proxies (addresses or networks): only the X-Forwarded-For entries they
# append are believed when reading a client's address (qoima.http.client_address).
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
AUTHENTICATION_BACKENDS = [
    # First: a locked-out account or address is refused before its password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# django-axes: an account is locked after LOGIN_FAILURE_LIMIT failures on it from anywhere,
# and an address after as many from it on any accounts, each for LOGIN_COOLOFF_MINUTES (or
# until an administrator unlocks it on the "Locked sign-ins" page). Failures while locked do not
# extend the lockout, so an attacker cannot keep an account locked for ever.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "qoima.http.client_address"
AXES_LOCKOUT_CALLABLE = "qoima.accounts.views.locked_out"
# Unlocking is the administrator's audited page, not a row deleted in the admin.
AXES_ENABLE_ADMIN = False
AXES_VERBOSE = False
# Sessions are rows of qoima.accounts.models.AccountSession, so each person lists and ends
# theirs. Staff sessions end after SESSION_STAFF_IDLE_MINUTES without activity or
# SESSION_STAFF_MAX_HOURS after sign-in; participants' after their own two limits.
SESSION_ENGINE = "qoima.accounts.sessions"
SESSION_STAFF_IDLE_MINUTES = env.int("SESSION_STAFF_IDLE_MINUTES", default=15)
SESSION_STAFF_MAX_HOURS = env.int("SESSION_STAFF_MAX_HOURS", default=10)
SESSION_PARTICIPANT_IDLE_MINUTES = env.int("SESSION_PARTICIPANT_IDLE_MINUTES", default=30)
SESSION_PARTICIPANT_MAX_HOURS = env.int("SESSION_PARTICIPANT_MAX_HOURS", default=24)
SESSION_COOKIE_AGE = max(SESSION_STAFF_MAX_HOURS, SESSION_PARTICIPANT_MAX_HOURS) * 3600
SESSION_COOKIE_SAMESITE = "Lax"
# Second factors (django-otp): staff must have one, others may. TOTP apps name the account
# "Qoima: <username>"; each device doubles its wait after each wrong code. Passkeys
# (django-otp-webauthn) are a second factor only, never a login without the password.
OTP_TOTP_ISSUER = "Qoima"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
OTP_WEBAUTHN_RP_NAME = "Qoima"
OTP_WEBAUTHN_RP_ID_CALLABLE = "qoima.accounts.webauthn.rp_id"
OTP_WEBAUTHN_HELPER_CLASS = "qoima.accounts.webauthn.Helper"
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
OTP_WEBAUTHN_EXCEPTION_LOGGER_NAME = "qoima.accounts"
# The passkeys' relying party and origins: by default the host the browser asked for (checked
# against ALLOWED_HOSTS); production names its domain, so a passkey outlives a host alias.
WEBAUTHN_RP_ID = env.str("WEBAUTHN_RP_ID", default="")
WEBAUTHN_ORIGINS = env.list("WEBAUTHN_ORIGINS", default=[])
OTP_WEBAUTHN_ALLOWED_ORIGINS = WEBAUTHN_ORIGINS
# Without configured origins a passkey's origin is the page's own (qoima.accounts.webauthn);
# django-otp-webauthn's check asks for a fixed list.
SILENCED_SYSTEM_CHECKS = [] if WEBAUTHN_ORIGINS else ["otp_webauthn.E030"]
# Confirming a mint, an act of enforcement or a large withdrawal needs both factors proved
# within this many seconds.
SECOND_FACTOR_RECENT_SECONDS = env.int("REAUTHENTICATION_SECONDS", default=300)

LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", _("Russian")), ("kk", _("Kazakh")), ("en", _("English"))]
# The platform's own catalogues first; then translations it ships for its libraries' strings
# that their catalogues lack (see qoima/translations/kk/LC_MESSAGES/django.po).
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "qoima" / "translations"]
# Django ships no Kazakh number and date formats; the platform's are in qoima/formats/kk/.
FORMAT_MODULE_PATH = ["qoima.formats"]
TIME_ZONE = "Asia/Almaty"
USE_I18N = True
USE_TZ = True

# Forms render through django-bootstrap5 in qoima/ui/templates/ui/_form.html: labels above
# inputs, every error under its field; the label is never hidden in a placeholder.
BOOTSTRAP5 = {"set_placeholder": False, "server_side_validation": True}

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [
    ("vendor/tabler", BASE_DIR / "node_modules" / "@tabler" / "core" / "dist"),
    ("vendor/swagger-ui", BASE_DIR / "node_modules" / "swagger-ui-dist"),
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
    ("vendor/chartjs", BASE_DIR / "node_modules" / "chart.js" / "dist"),
    ("vendor/lightweight-charts", BASE_DIR / "node_modules" / "lightweight-charts" / "dist"),
]
# Served straight from the finders, so the embedded default needs no collectstatic step.
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
DOCUMENTS_ROOT = Path(env.str("DOCUMENTS_ROOT", default=str(VAR_DIR / "documents")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    # Issuance documents, stored under their SHA-256 and never overwritten. Production may
    # point this at S3-compatible storage (django-storages) through DOCUMENTS_STORAGE.
    "documents": {
        "BACKEND": env.str(
            "DOCUMENTS_STORAGE", default="django.core.files.storage.FileSystemStorage"
        ),
        "OPTIONS": env.json(
            "DOCUMENTS_STORAGE_OPTIONS",
            default={"location": str(DOCUMENTS_ROOT), "file_permissions_mode": 0o444},
        ),
    },
}

# --- Request bodies (qoima/http.py) ------------------------------------------------------
# Forms and JSON: at most 1 MB. The views named below take one file of at most the named
# setting, plus room for the multipart envelope and the form's other fields.
REQUEST_BODY_MAX_BYTES = env.int("REQUEST_BODY_MAX_BYTES", default=1024 * 1024)
REQUEST_BODY_MULTIPART_OVERHEAD = 1024 * 1024
REQUEST_BODY_UPLOAD_LIMITS = {
    "issuance-document": "ISSUANCE_DOCUMENT_MAX_BYTES",
    "api-application-documents": "ISSUANCE_DOCUMENT_MAX_BYTES",
    "issuance-csv": "ISSUANCE_DISTRIBUTION_MAX_BYTES",
    "api-distributions": "ISSUANCE_DISTRIBUTION_MAX_BYTES",
}
DATA_UPLOAD_MAX_MEMORY_SIZE = REQUEST_BODY_MAX_BYTES
# Uploaded files above this are streamed to a temporary file rather than held in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# django-csp: scripts only from the platform's own files (no inline script, no eval); the
# pages' few style attributes (a progress bar's width) need 'unsafe-inline' for styles only,
# which cannot run code. Nothing is loaded from elsewhere: the platform works offline.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# django-permissions-policy: no page uses the camera, microphone, location, payments or USB;
# passkeys (WebAuthn) are this site's own.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    "camera": [],
    "microphone": [],
    "geolocation": [],
    "payment": [],
    "usb": [],
    "interest-cohort": [],
    "publickey-credentials-create": ["self"],
    "publickey-credentials-get": ["self"],
}

# The embedded default keeps every mail as a file under var/mail/, where the administration's
# mailbox page (qoima/participants/mailbox.py) shows it; production.py sends by SMTP.
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = Path(env.str("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail")))
EMAIL_FILE_PATH.mkdir(parents=True, exist_ok=True)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Qoima <no-reply@qoima.kz>")

# --- Celery -----------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
BROKER_DIR = VAR_DIR / "broker"
# A publish from a web request waits at most about this long for a broker that does not
# answer; the request then succeeds anyway and the sweeps find its work (qoima/broker.py).
BROKER_CONNECT_TIMEOUT_SECONDS = env.float("BROKER_CONNECT_TIMEOUT_SECONDS", default=2.0)
if REDIS_URL:
    _default_broker = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "socket_connect_timeout": BROKER_CONNECT_TIMEOUT_SECONDS,
        # A message a worker took and never acknowledged (it lost its connection, or died)
        # goes back to the queue after this long. Every task is idempotent and short, so an
        # hour (kombu's default) would only delay work the sweeps also find.
        "visibility_timeout": env.int("BROKER_VISIBILITY_TIMEOUT_SECONDS", default=900),
    }
else:
    _default_broker = "filesystem://"
    for _sub in ("queue", "processed", "control"):
        (BROKER_DIR / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=_default_broker)
if CELERY_BROKER_URL.startswith("redis://"):
    # kombu's Redis transport, except that a worker survives losing Redis: see qoima/broker.py.
    CELERY_BROKER_TRANSPORT = "qoima.broker:RedisTransport"
CELERY_BROKER_CONNECTION_TIMEOUT = BROKER_CONNECT_TIMEOUT_SECONDS
# A worker that lost its broker keeps trying for as long as it takes (Celery's default gives up
# after 100 attempts and exits), at startup too.
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# Tasks acknowledged late that run when the connection is lost are given back to the broker
# rather than finished with no way to acknowledge them (Celery 6's default).
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# Publishing tries a few times within about a second, then gives up (qoima/broker.py).
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
# One cache for every web process (API throttles count there): Redis when there is one,
# otherwise files under var/.
CACHE_URL = env.str("CACHE_URL", default=REDIS_URL)
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "qoima",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# A task is acknowledged only after it ran, so a killed worker's task is delivered again;
# every task is idempotent, which makes the redelivery harmless.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = False
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "audit-seal": {
        "task": "qoima.audit.tasks.audit_seal_entries",
        "schedule": env.float("AUDIT_SEAL_INTERVAL", default=3.0),
    },
    "audit-verify-chain": {
        "task": "qoima.audit.tasks.audit_verify_chain",
        "schedule": env.float("AUDIT_VERIFY_INTERVAL_SECONDS", default=3600.0),
    },
    "chain-audit-anchor": {
        "task": "qoima.chain.tasks.chain_audit_anchor",
        "schedule": env.float("AUDIT_ANCHOR_INTERVAL_SECONDS", default=3600.0),
    },
    "chain-confirm": {
        "task": "qoima.chain.tasks.chain_confirm",
        "schedule": env.float("CHAIN_CONFIRM_INTERVAL_SECONDS", default=2.0),
    },
    "chain-index": {
        "task": "qoima.chain.tasks.chain_index",
        "schedule": env.float("CHAIN_INDEX_INTERVAL_SECONDS", default=2.0),
    },
    "chain-reconcile": {
        "task": "qoima.chain.tasks.chain_reconcile",
        "schedule": env.float("CHAIN_RECONCILE_INTERVAL_SECONDS", default=600.0),
    },
    "chain-resend": {
        "task": "qoima.chain.tasks.chain_resend",
        "schedule": env.float("CHAIN_RESEND_INTERVAL_SECONDS", default=15.0),
    },
    "chain-sweep": {
        "task": "qoima.chain.tasks.chain_sweep",
        "schedule": env.float("CHAIN_SWEEP_INTERVAL_SECONDS", default=10.0),
    },
    "chain-daily-volumes": {
        "task": "qoima.chain.tasks.chain_daily_volumes",
        "schedule": env.float("CHAIN_VOLUMES_INTERVAL_SECONDS", default=60.0),
    },
    "issuance-documents-recheck": {
        "task": "issuance.tasks.issuance_documents_recheck",
        "schedule": env.float("DOCUMENTS_RECHECK_INTERVAL_SECONDS", default=86400.0),
    },
    "chain-heartbeat": {
        "task": "qoima.chain.tasks.chain_heartbeat",
        "schedule": env.float("WORKER_HEARTBEAT_INTERVAL_SECONDS", default=15.0),
    },
    "issuance-distributions-sweep": {
        "task": "issuance.tasks.issuance_distributions_sweep",
        "schedule": env.float("DISTRIBUTIONS_SWEEP_INTERVAL_SECONDS", default=30.0),
    },
    "chain-record-head": {
        "task": "qoima.chain.tasks.chain_record_head",
        "schedule": env.float("CHAIN_HEAD_INTERVAL_SECONDS", default=15.0),
    },
}

# --- Chain ------------------------------------------------------------------------------
ANVIL_PORT = env.int("ANVIL_PORT", default=8545)
CHAIN_RPC_URL = env.str("CHAIN_RPC_URL", default=f"http://127.0.0.1:{ANVIL_PORT}")
CHAIN_ID = env.int("CHAIN_ID", default=31337)
# A block explorer (Blockscout, Etherscan) for the chain: hashes and addresses link to its
# /tx/, /address/ and /block/ pages. Empty on the embedded default's local anvil.
CHAIN_EXPLORER_URL = env.str("CHAIN_EXPLORER_URL", default="")
CHAIN_RPC_TIMEOUT_SECONDS = env.float("CHAIN_RPC_TIMEOUT_SECONDS", default=10.0)
ANVIL_STATE_DIR = VAR_DIR / "anvil"
# Keys the platform signs with. The embedded default uses anvil's published development keys
# (accounts 0-2 of its test mnemonic), worthless anywhere else; production.py demands real ones.
CHAIN_ADMIN_KEY = env.str(
    "CHAIN_ADMIN_KEY", default="0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
)
CHAIN_OPERATOR_KEY = env.str(
    "CHAIN_OPERATOR_KEY",
    default="0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
)
CHAIN_COMPLIANCE_KEY = env.str(
    "CHAIN_COMPLIANCE_KEY",
    default="0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
)
# Fernet keys for custodial private keys at rest, newest first (see qoima/custody/keys.py).
# The embedded default is a fixed demo key, worthless anywhere else; production.py demands real
# ones.
DEMO_CUSTODY_ENCRYPTION_KEY = "OwTkadEFHb6VKwnwgkXnuX5ndwwjzTdLjEJ6zto4NiA="
CUSTODY_ENCRYPTION_KEYS = env.list("CUSTODY_ENCRYPTION_KEYS", default=[DEMO_CUSTODY_ENCRYPTION_KEY])
# What wraps custodial keys at rest (qoima/custody/keys.py): a callable returning a KeyWrapper.
# The default uses the Fernet keys above; a KMS or HSM plugs in here (docs/keys.md).
CUSTODY_KEY_WRAPPER = env.str("CUSTODY_KEY_WRAPPER", default="qoima.custody.keys.fernet_keys")
CONTRACTS_DIR = BASE_DIR / "contracts"
# Transaction manager: blocks on top of a receipt before it counts, the most transfers one
# recorded batch carries, and how long a pending transfer may wait for others to join it.
# A transaction costs the manager about the same work (nonce, estimate, signature, receipt)
# whatever it carries; 400 new-holder transfers take about 11.6M gas, within the 2**24 a
# transaction may use (a batch whose estimate exceeds that goes out in halves).
# Compliance's acts (freezes, pauses, forced transfers) offer this many times the market's tip,
# so that a block taking both includes them before the movements they stop.
CHAIN_COMPLIANCE_TIP_MULTIPLIER = env.int("CHAIN_COMPLIANCE_TIP_MULTIPLIER", default=2)
CHAIN_CONFIRMATIONS = env.int("CHAIN_CONFIRMATIONS", default=1)
CHAIN_BATCH_MAX = env.int("CHAIN_BATCH_MAX", default=400)
CHAIN_BATCH_WAIT_SECONDS = env.float("CHAIN_BATCH_WAIT_SECONDS", default=1.0)
# The shortest interval between one process's requests for a batch run (qoima.chain.tasks): a
# commit within it is read by the request already sent, or by one sent for the interval's end.
CHAIN_BATCH_REQUEST_SECONDS = env.float("CHAIN_BATCH_REQUEST_SECONDS", default=0.1)

# --- Issuance -----------------------------------------------------------------------------
ISSUANCE_DOCUMENT_MAX_BYTES = env.int("ISSUANCE_DOCUMENT_MAX_BYTES", default=20 * 1024 * 1024)
ISSUANCE_DISTRIBUTION_MAX_ROWS = env.int("ISSUANCE_DISTRIBUTION_MAX_ROWS", default=100_000)
ISSUANCE_DISTRIBUTION_MAX_BYTES = env.int(
    "ISSUANCE_DISTRIBUTION_MAX_BYTES", default=10 * 1024 * 1024
)
# Currency codes whose one-letter extensions (USDT, KZTE) are refused as symbols (Art. 5(3)).
ISSUANCE_CURRENCY_PREFIX_CODES = env.list(
    "ISSUANCE_CURRENCY_PREFIX_CODES",
    default=["KZT", "USD", "EUR", "RUB", "CNY", "GBP", "JPY", "CHF", "KGS", "UZS", "TRY", "AED"],
)
# Blocks an accepted transaction may wait unmined before it is replaced with higher fees.
CHAIN_STUCK_BLOCKS = env.int("CHAIN_STUCK_BLOCKS", default=5)
# --- Audit log --------------------------------------------------------------------------
# Audited changes write their entries unsealed, without waiting for each other; the sealer
# (beat, every AUDIT_SEAL_INTERVAL seconds) chains them. An entry waits at most this many
# seconds for its seal: /health/ and verifyaudit report one that waits longer.
AUDIT_MAX_SEAL_DELAY = env.int("AUDIT_MAX_SEAL_DELAY", default=60)

# --- Health (/health/, the operations page, `reconcile`) ----------------------------------
# Work older than this (an operation not yet confirmed or failed, blocks the indexer has not
# read) means the platform has stalled.
CHAIN_STALL_SECONDS = env.int("CHAIN_STALL_SECONDS", default=300)
# No worker heard from for this long means none is running (beat sends the heartbeat task
# every WORKER_HEARTBEAT_INTERVAL_SECONDS).
WORKER_HEARTBEAT_STALE_SECONDS = env.int("WORKER_HEARTBEAT_STALE_SECONDS", default=90)
# The matcher (``runmatcher``): how many received orders and changes one step of a market
# takes, how often it looks at every market besides those its notices name (PostgreSQL) or
# how often it looks (elsewhere), how often it says it is alive, and how long a silence means
# it is not.
MATCHER_STEP_LIMIT = env.int("MATCHER_STEP_LIMIT", default=500)
MATCHER_WAIT_SECONDS = env.float("MATCHER_WAIT_SECONDS", default=1.0)
MATCHER_POLL_SECONDS = env.float("MATCHER_POLL_SECONDS", default=0.05)
MATCHER_HEARTBEAT_SECONDS = env.float("MATCHER_HEARTBEAT_SECONDS", default=5.0)
MATCHER_HEARTBEAT_STALE_SECONDS = env.int("MATCHER_HEARTBEAT_STALE_SECONDS", default=60)
# Each of /health/'s checks of a service (broker, node) waits at most this long.
HEALTH_CHECK_TIMEOUT_SECONDS = env.float("HEALTH_CHECK_TIMEOUT_SECONDS", default=2.0)
NODE_MODULES_DIR = BASE_DIR / "node_modules"

# --- Participants -----------------------------------------------------------------------
PERMIT_DEFAULT_TERM_YEARS = env.int("PERMIT_DEFAULT_TERM_YEARS", default=3)
# A permit recorded on the platform is plausible only when issued on or after the day the law
# came into force (1 April 2023) and running for at most this many years.
PERMIT_EARLIEST_ISSUE_DATE = datetime.date.fromisoformat(
    env.str("PERMIT_EARLIEST_ISSUE_DATE", default="2023-04-01")
)
PERMIT_MAX_TERM_YEARS = env.int("PERMIT_MAX_TERM_YEARS", default=3)

# --- Treasury (tenge deposits and withdrawals) -------------------------------------------
# A withdrawal above this many tiyn (100 000 tenge by default) is paid only once a second,
# different treasury officer has approved it.
EXCHANGE_WITHDRAWAL_SECOND_OFFICER_TIYN = env.int(
    "EXCHANGE_WITHDRAWAL_SECOND_OFFICER_TIYN", default=10_000_000
)
# The platform's bank (omnibus) account, shown to members as where to send tenge; their
# payment reference goes in the transfer's purpose.
EXCHANGE_BANK_NAME = env.str("EXCHANGE_BANK_NAME", default="АО «Demo Bank Kazakhstan»")
EXCHANGE_BANK_BIC = env.str("EXCHANGE_BANK_BIC", default="DEMOKZKA")
EXCHANGE_BANK_BENEFICIARY = env.str("EXCHANGE_BANK_BENEFICIARY", default="ТОО «Qoima»")
EXCHANGE_BANK_BIN = env.str("EXCHANGE_BANK_BIN", default="940140000385")
# The demo's bank account; production must name the platform's own (qoima/settings/production.py).
DEMO_BANK_IBAN = "KZ86125KZT5004100100"
EXCHANGE_BANK_IBAN = env.str("EXCHANGE_BANK_IBAN", default=DEMO_BANK_IBAN)
# The largest statement file the import reads.
EXCHANGE_STATEMENT_MAX_BYTES = env.int("EXCHANGE_STATEMENT_MAX_BYTES", default=5 * 1024 * 1024)

# --- API --------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # The token scheme first: DRF asks the first class for the WWW-Authenticate challenge, so
    # an API call without valid credentials answers 401 "Token", not 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "qoima.participants.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # A JSON body must be an object, so every view reads request.data as a mapping.
    "DEFAULT_PARSER_CLASSES": [
        "qoima.http.JSONObjectParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "qoima.errors.api_exception_handler",
    # Counted in the shared cache (qoima/throttling.py): per account when signed in, per client
    # address otherwise. Over a rate the answer is 429 with Retry-After.
    "DEFAULT_THROTTLE_CLASSES": ["qoima.throttling.AnonymousThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        # Every request of someone not signed in, pages and API.
        "anon": env.str("ANONYMOUS_RATE", default="120/minute"),
        # Lookups of another holder by IIN / BIN (a transfer's receiver, a distribution).
        "recipient": env.str("RECIPIENT_LOOKUP_RATE", default="30/minute"),
        # Registrations of holders and issuers, per address.
        "registration": env.str("REGISTRATION_RATE", default="20/hour"),
        # Attempts to log in, per address (lockouts are django-axes's, by failures).
        "login": env.str("LOGIN_RATE", default="20/minute"),
        # Requests for a password-reset e-mail, per address.
        "password_reset": env.str("PASSWORD_RESET_RATE", default="5/hour"),
        # API tokens issued, per account.
        "token": env.str("TOKEN_ISSUE_RATE", default="10/hour"),
        # Transfers requested, per holder.
        "transfer": env.str("TRANSFER_RATE", default="60/minute"),
        # Orders placed, per member.
        "order": env.str("ORDER_RATE", default="600/minute"),
    },
}
# API tokens (django-rest-knox): only a SHA-512 digest is stored, the token itself is shown
# once when issued, and it stops working after its term (no silent renewal).
# Tokens are qoima.accounts.models.ApiToken: named, scoped, several per person.
KNOX_TOKEN_MODEL = "accounts.ApiToken"  # noqa: S105 - a model's name, not a secret
# The longest term an owner may give a token.
API_TOKEN_MAX_DAYS = env.int("API_TOKEN_MAX_DAYS", default=90)
REST_KNOX = {
    # Each token's term is its owner's choice (qoima.accounts.services.api_token_issue).
    "TOKEN_TTL": datetime.timedelta(days=30),
    "AUTO_REFRESH": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Qoima API",
    "DESCRIPTION": "Platform for storage and exchange of backed digital assets",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Every operation also documents the platform's error answers (qoima/errors.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "qoima.errors.document_error_responses",
    ],
    # Several models have a field named "kind"; each choice set gets its own schema name.
    "ENUM_NAME_OVERRIDES": {
        "OrganisationKind": "qoima.participants.models.Organisation.Kind",
        "HolderKind": "qoima.participants.models.HolderProfile.Kind",
        "DocumentKind": "issuance.models.Document.Kind",
        "OperationKind": "qoima.chain.models.Operation.Kind",
        "WalletKind": "qoima.custody.models.Wallet.Kind",
        "OperationState": "qoima.chain.models.Operation.State",
        "WithdrawalState": "qoima.exchange.models.treasury.Withdrawal.State",
        "ReceiptState": "qoima.exchange.models.treasury.StatementLine.State",
        "PostingKind": "qoima.exchange.models.cash.Posting.Kind",
        "CashAccountKind": "qoima.exchange.models.cash.CashAccount.Kind",
        "TradeState": "qoima.exchange.models.markets.Trade.State",
        "MarketStatus": "qoima.exchange.models.markets.Market.Status",
        "OrderSide": "qoima.exchange.models.markets.Order.Side",
        "OrderState": "qoima.exchange.models.markets.Order.State",
        "OrderChangeKind": "qoima.exchange.models.markets.OrderChange.Kind",
        "OrderChangeState": "qoima.exchange.models.markets.OrderChange.State",
    },
}

# Everything to stderr; with EVENTS_LOG_FILE (set by `make run` for its processes), the notable
# events also to that file, one line each (qoima/events.py).
LOGGING = logging_config(
    level=env.str("LOG_LEVEL", default="INFO"),
    events_file=env.str("EVENTS_LOG_FILE", default="") or None,
)
