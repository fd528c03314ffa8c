import pytest

from tests.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_in_page_renders_and_signs_in(page, live_server, sign_in):
    make_user("clerk")
    sign_in("clerk")
    assert page.url.rstrip("/") == live_server.url
    assert page.locator("aside.navbar-vertical").is_visible()
    page.screenshot(path="/tmp/shots/home.png", full_page=True)
