"""Production: every secret and every service address must come from the environment."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DEMO_BANK_IBAN, DEMO_CUSTODY_ENCRYPTION_KEY, DEMO_SECRET_KEY, env
from .base import STORAGES as BASE_STORAGES

# The private keys of anvil's ten default accounts (its published "test test ... junk"
# mnemonic): anyone can sign with them, so no production chain key may be one of them.
ANVIL_PUBLISHED_KEYS = frozenset(
    {
        "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
        "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
        "5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
        "7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
        "47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
        "8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
        "92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
        "4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
        "dbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
        "2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
    }
)


def _refuse_published(name: str, value: str, published: set[str] | frozenset[str]) -> None:
    if value.strip() in published:
        raise ImproperlyConfigured(
            f"{name} is a value published in the repository or in anvil's defaults; "
            "set a secret of your own."
        )


def _chain_key(name: str) -> str:
    value = env.str(name)
    _refuse_published(name, value.strip().lower().removeprefix("0x"), ANVIL_PUBLISHED_KEYS)
    return value


DEBUG = False
SECRET_KEY = env.str("SECRET_KEY")
_refuse_published("SECRET_KEY", SECRET_KEY, {DEMO_SECRET_KEY})
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or env.str("REDIS_URL")
CELERY_BROKER_TRANSPORT_OPTIONS = {}
CHAIN_RPC_URL = env.str("CHAIN_RPC_URL")
CHAIN_ID = env.int("CHAIN_ID")
CHAIN_ADMIN_KEY = _chain_key("CHAIN_ADMIN_KEY")
CHAIN_OPERATOR_KEY = _chain_key("CHAIN_OPERATOR_KEY")
CHAIN_COMPLIANCE_KEY = _chain_key("CHAIN_COMPLIANCE_KEY")
# The Fernet keys are required unless a KMS or HSM wraps the custodial keys instead.
if CUSTODY_KEY_WRAPPER == "qoima.custody.keys.fernet_keys":  # noqa: F405
    CUSTODY_ENCRYPTION_KEYS = env.list("CUSTODY_ENCRYPTION_KEYS")
    for _key in CUSTODY_ENCRYPTION_KEYS:
        _refuse_published("CUSTODY_ENCRYPTION_KEYS", _key, {DEMO_CUSTODY_ENCRYPTION_KEY})
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
# The bank account members pay tenge into: the demo's would send their money nowhere.
EXCHANGE_BANK_NAME = env.str("EXCHANGE_BANK_NAME")
EXCHANGE_BANK_BIC = env.str("EXCHANGE_BANK_BIC")
EXCHANGE_BANK_BENEFICIARY = env.str("EXCHANGE_BANK_BENEFICIARY")
EXCHANGE_BANK_BIN = env.str("EXCHANGE_BANK_BIN")
EXCHANGE_BANK_IBAN = env.str("EXCHANGE_BANK_IBAN")
_refuse_published("EXCHANGE_BANK_IBAN", EXCHANGE_BANK_IBAN, {DEMO_BANK_IBAN})

WHITENOISE_USE_FINDERS = False
STORAGES = {
    **BASE_STORAGES,  # the documents storage among them
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
