"""API views and view plumbing that belong to no app: the token endpoint, JSON answers for
unknown paths, and small pieces the apps' views share."""

from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.csrf import csrf_exempt
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle


class TokenView(ObtainAuthToken):
    """``POST /api/auth/token/`` with ``username`` and ``password`` → ``{"token": "..."}``
    (the user's one token, created on first use)."""

    # Credentials are in the body; a browser session must not turn this into a CSRF check.
    authentication_classes = ()
    # Slow down password guessing.
    throttle_classes = (AnonRateThrottle, ScopedRateThrottle)
    throttle_scope = "auth"


@csrf_exempt  # nothing happens here, whatever the method: no CSRF 403 page in HTML
def not_found(request, *args, **kwargs):
    """Any path under /api/ that names no endpoint: a JSON 404 like every other API error."""
    return JsonResponse({"detail": "Not found."}, status=404)


class FirstRendererNegotiation(DefaultContentNegotiation):
    """Whatever the client accepts, answer with the view's first renderer. For the CSV
    export, whose success is a streamed download and whose errors are JSON: a link opened in
    a browser (``Accept: text/html``) or a client asking for ``text/csv`` must not get 406."""

    def select_renderer(self, request, renderers, format_suffix=None):
        renderer = renderers[0]
        return renderer, renderer.media_type


class DetailIgnoresFilters:
    """For a viewset's ``/{id}/``: the object by id whatever list filters the query string
    carries (an empty lot, a settled shortfall are still there)."""

    def get_object(self):
        obj = get_object_or_404(self.get_queryset(), pk=self.kwargs[self.lookup_url_kwarg or self.lookup_field])
        self.check_object_permissions(self.request, obj)
        return obj
