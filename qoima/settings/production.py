"""Production: every secret and every service address must come from the environment."""

from .base import *  # noqa: F403
from .base import STORAGES as BASE_STORAGES
from .base import env

DEBUG = False
SECRET_KEY = env.str("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or env.str("REDIS_URL")
CELERY_BROKER_TRANSPORT_OPTIONS = {}
CHAIN_RPC_URL = env.str("CHAIN_RPC_URL")
CHAIN_ID = env.int("CHAIN_ID")
CHAIN_ADMIN_KEY = env.str("CHAIN_ADMIN_KEY")
CHAIN_OPERATOR_KEY = env.str("CHAIN_OPERATOR_KEY")
CHAIN_COMPLIANCE_KEY = env.str("CHAIN_COMPLIANCE_KEY")
CUSTODY_ENCRYPTION_KEYS = env.list("CUSTODY_ENCRYPTION_KEYS")
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")

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
