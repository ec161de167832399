import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qoima.settings.base")
django_application = get_asgi_application()

from qoima.http import BodyLimitASGIMiddleware  # noqa: E402  (needs Django set up)

application = BodyLimitASGIMiddleware(django_application)
