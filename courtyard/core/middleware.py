"""Core middleware: the Content-Security-Policy header and the change source of a request."""

from django.conf import settings

from .audit import reset_request_source, set_request_source


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        response.headers.setdefault(
            "Permissions-Policy", "camera=(self), geolocation=(), microphone=()"
        )
        return response


class RequestSourceMiddleware:
    """Changes made while answering a request are audited as coming from the web or the API."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = set_request_source("api" if request.path.startswith("/api/") else "web")
        try:
            return self.get_response(request)
        finally:
            reset_request_source(token)
