from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularSwaggerView

from qoima.participants.selectors import user_role

from . import help as guide

# Help is public: it explains the platform to people deciding whether to register as well.


def help_page(request: HttpRequest) -> HttpResponse:
    """The reader's own role's page; a visitor without a role chooses one."""
    role = user_role(request.user)
    if role is not None:
        return redirect("help-role", role=guide.PAGE_OF_ROLE[role])
    return render(
        request,
        "ui/help.html",
        {"links": guide.role_links(current=None, reader=None), "art5": guide.art5_items()},
    )


def help_role(request: HttpRequest, role: str) -> HttpResponse:
    page = guide.role_page(role)
    if page is None:
        raise Http404
    return render(
        request,
        page.template,
        {
            "page": page,
            "links": guide.role_links(current=page.slug, reader=user_role(request.user)),
            "art5": guide.art5_items(),
        },
    )


class ApiDocsView(SpectacularSwaggerView):
    """Swagger UI for the platform's OpenAPI schema, inside the platform's own page frame.

    Its files come from the npm package served by whitenoise (the platform works offline, so no
    CDN), and it starts from a static script reading the schema's address from the page, so the
    page has no inline script for a content security policy to forbid.
    """

    template_name = "ui/api_docs.html"
    url_name = "api-schema"
    title = _("API reference")  # type: ignore[assignment]

    @staticmethod
    def _swagger_ui_resource(filename: str) -> str:
        return static(f"vendor/swagger-ui/{filename}")

    @staticmethod
    def _swagger_ui_favicon() -> str:
        return static("ui/favicon.svg")
