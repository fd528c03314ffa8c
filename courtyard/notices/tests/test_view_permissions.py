"""The permission matrix of the announcement pages: anonymous, no permission, scope."""

from courtyard.notices import services
from courtyard.notices.choices import AudienceKind
from courtyard.notices.models import Notice
from tests.permission_matrix import ModelPermissionMatrix

from .conftest import hours


class TestNoticePermissions(ModelPermissionMatrix):
    model = Notice
    url_names = {
        name: f"notices:notice_{name}"
        for name in ("list", "add", "detail", "history", "edit", "delete")
    }

    def make_object(self, estate):
        from tests.factories import make_user

        author = make_user(f"author-{estate.pk}", superuser=True)
        return services.create_notice(
            author,
            title=f"{estate.name}通知",
            content="<p>通知</p>",
            effective_from=hours(-1),
            audience_kind=AudienceKind.ESTATES,
            estates=[estate],
        )
