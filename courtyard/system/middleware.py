"""Maintenance mode: while on, signed-in non-administrators see the upgrade page."""


class MaintenanceModeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)
