"""Sign-in plumbing of the HTML pages: the address failed sign-ins are counted by, and what a
locked-out person sees. The counting itself is django-axes' (settings: AXES_*)."""

from django.conf import settings
from django.template.response import TemplateResponse


def client_address(request) -> str:
    """The address a request came from. Behind ``HARDFIN_PROXY_COUNT`` reverse proxies that
    each append to X-Forwarded-For, it is the entry the outermost of them added; entries before
    it were written by the client and are not believed. Without proxies, the connection's."""
    proxies = getattr(settings, "HARDFIN_PROXY_COUNT", 0)
    if proxies:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def locked_out(request, original_response=None, credentials=None):
    """The page shown instead of the sign-in form while sign-in is locked (HTTP 429)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return TemplateResponse(
        request, "registration/locked_out.html", {"minutes": minutes}, status=settings.AXES_HTTP_RESPONSE_CODE
    ).render()
