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


API_ERROR_CODES = {404: "not_found", 405: "method_not_allowed", 500: "server_error"}


class ApiJsonErrorsMiddleware:
    """Errors the API framework never sees (unknown path, wrong method, a crash) still answer
    JSON ``{"detail", "code"}`` under /api/, like every other API error."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            request.path.startswith("/api/")
            and response.status_code in API_ERROR_CODES
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            return self.json_error(response)
        return response

    @staticmethod
    def json_error(response):
        from django.http import JsonResponse
        from django.utils.translation import gettext as _

        details = {
            404: _("Not found."),
            405: _("This method is not allowed here."),
            500: _("Something went wrong. The error has been logged."),
        }
        status = response.status_code
        json = JsonResponse(
            {"detail": str(details[status]), "code": API_ERROR_CODES[status]}, status=status
        )
        if response.has_header("Allow"):
            json["Allow"] = response["Allow"]
        return json
