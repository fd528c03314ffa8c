"""Shared test helpers: the permission-matrix mixin every model's tests inherit.

A module's test declares its model once::

    class TestUnitPermissions(ModelPermissionMatrix):
        model = Unit
        url_names = {"list": "estates:unit_list", "detail": "estates:unit_detail", ...}

        def make_object(self, estate):
            return UnitFactory(entrance=EntranceFactory(building__estate=estate))

and gets, for every page it names: anonymous → sign-in redirect, signed in without the
permission → 403, with the permission → 200, object outside the user's data scope → 404;
for the API endpoints it names, the same as 401 / 403 / 200 / 404 JSON with a code.
"""

import pytest
from django.urls import reverse

from courtyard.core.scoping import permission_name

# Which permission each page or endpoint needs.
PAGE_ACTIONS = {
    "list": "view",
    "detail": "view",
    "history": "view",
    "add": "add",
    "edit": "change",
    "delete": "delete",
    "export": "view",
    "import": "add",
}
OBJECT_PAGES = {"detail", "history", "edit", "delete"}


@pytest.mark.django_db
class ModelPermissionMatrix:
    model = None
    url_names: dict = {}
    api_list: str | None = None  # e.g. "/api/v1/units"
    api_detail: str | None = None  # e.g. "/api/v1/units/{pk}"

    def make_object(self, estate):
        raise NotImplementedError

    # -- helpers -----------------------------------------------------------------------
    def _setup(self):
        from tests.factories import EstateFactory, make_user

        self.home_estate = EstateFactory()
        self.other_estate = EstateFactory()
        self.obj = self.make_object(self.home_estate)
        self.foreign = self.make_object(self.other_estate)
        self.make_user = make_user

    def _perm(self, page):
        return permission_name(self.model, PAGE_ACTIONS[page])

    def _url(self, page, obj=None):
        name = self.url_names[page]
        return reverse(name, args=[obj.pk]) if page in OBJECT_PAGES else reverse(name)

    def _pages(self):
        return [page for page in self.url_names if page != "export"]

    # -- the matrix ----------------------------------------------------------------------
    def test_pages_send_anonymous_users_to_sign_in(self, client):
        self._setup()
        for page in self._pages():
            response = client.get(self._url(page, self.obj))
            assert response.status_code == 302, page
            assert reverse("accounts:login") in response["Location"], page

    def test_pages_refuse_users_without_the_permission(self, client):
        self._setup()
        # Some unrelated permission, so the user is a working staff member, not an empty shell.
        client.force_login(self.make_user("no_rights", "accounts.view_department"))
        for page in self._pages():
            assert client.get(self._url(page, self.obj)).status_code == 403, page

    def test_pages_open_with_the_permission(self, client):
        self._setup()
        perms = {self._perm(page) for page in self._pages()}
        client.force_login(self.make_user("holder", *perms, estates=[self.home_estate]))
        for page in self._pages():
            assert client.get(self._url(page, self.obj)).status_code == 200, page

    def test_objects_outside_the_scope_are_not_found(self, client):
        self._setup()
        perms = {self._perm(page) for page in self._pages()}
        client.force_login(self.make_user("scoped", *perms, estates=[self.home_estate]))
        for page in self._pages():
            if page in OBJECT_PAGES:
                assert client.get(self._url(page, self.foreign)).status_code == 404, page

    def test_api_matrix(self, client):
        if not self.api_list:
            pytest.skip("no API for this model")
        self._setup()
        from courtyard.accounts.models import ApiToken

        detail = self.api_detail.format(pk=self.obj.pk)
        foreign = self.api_detail.format(pk=self.foreign.pk)
        anonymous = client.get(self.api_list)
        assert anonymous.status_code == 401 and anonymous.json()["code"] == "not_authenticated"

        _token, raw = ApiToken.issue(self.make_user("api_none"))
        headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
        for url in (self.api_list, detail):
            denied = client.get(url, **headers)
            assert denied.status_code == 403 and denied.json()["code"] == "permission_denied"

        user = self.make_user("api_holder", self._perm("list"), estates=[self.home_estate])
        _token, raw = ApiToken.issue(user)
        headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
        listing = client.get(self.api_list, **headers).json()
        ids = {item["id"] for item in listing["items"]}
        assert self.obj.pk in ids and self.foreign.pk not in ids
        assert client.get(detail, **headers).status_code == 200
        missing = client.get(foreign, **headers)
        assert missing.status_code == 404 and missing.json()["code"] == "not_found"
