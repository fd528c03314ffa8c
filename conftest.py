"""Shared fixtures: users with roles and scopes, API clients, the browser."""

import pytest

from tests.factories import ROLE_PERMISSIONS, make_user  # noqa: F401


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Cached state (parameters, maintenance mode) must not leak from one test to the next:
    the database rolls back after a test, the cache does not."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def admin_user(db):
    return make_user("admin", superuser=True)


@pytest.fixture
def staff_client(client):
    """A signed-in client for a user built by ``make_user``: ``staff_client(user)``."""

    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


@pytest.fixture
def api(client):
    """``api(user).get(path, **params)`` / ``.post`` / ``.patch`` / ``.delete``: API calls with
    the user's bearer token (paths below /api/v1)."""
    from courtyard.accounts.models import ApiToken

    class Api:
        def __init__(self, user):
            _token, raw = ApiToken.issue(user)
            self.headers = {"Authorization": f"Bearer {raw}"}

        def call(self, method, path, data=None, **params):
            url = f"/api/v1{path}"
            if method == "get":
                return client.get(url, params, headers=self.headers)
            return getattr(client, method)(
                url, data, content_type="application/json", headers=self.headers
            )

        def get(self, path, **params):
            return self.call("get", path, **params)

        def post(self, path, data=None):
            return self.call("post", path, data)

        def patch(self, path, data):
            return self.call("patch", path, data)

        def delete(self, path):
            return self.call("delete", path)

    return Api
