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
