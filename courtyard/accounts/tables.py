"""Tables of the account administration lists."""

from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from courtyard.core.privacy import shown_phone
from courtyard.core.tables import Column, Table


def role_names(user):
    """The user's roles by their shown names (prefetched ``groups__role``); a group made
    without a role page (by a script or the admin) keeps its group name."""
    return sorted(
        group.role.shown_name if hasattr(group, "role") else group.name
        for group in user.groups.all()
    )


class RolesColumn(Column):
    """The user's roles as badges."""

    def value(self, obj):
        return format_html_join(
            " ", '<span class="badge bg-blue-lt">{}</span>', ((name,) for name in role_names(obj))
        )

    def export_value(self, obj):
        return ", ".join(role_names(obj))


class UserTable(Table):
    username = Column(label=_("Username"), link=True)
    full_name = Column(label=_("Full name"))
    department = Column("department__name", label=_("Department"))
    position = Column(label=_("Position"))
    phone_shown = Column(label=_("Phone"), order_by="phone")
    roles = RolesColumn(label=_("Roles"), orderable=False)
    is_active = Column(label=_("Active"))
    last_login = Column(label=_("Last sign-in"))

    default_order = ("username",)

    def rows(self, objects):
        viewer = self.request.user if self.request else None
        for obj in objects:
            obj.phone_shown = shown_phone(viewer, obj.phone, obj)
            yield from super().rows([obj])


class RoleTable(Table):
    name = Column("shown_name", label=_("Name"), link=True, order_by="group__name")
    description = Column(label=_("Description"))
    member_count = Column(label=_("Users"))
    is_builtin = Column(label=_("Built in"))

    default_order = ("group__name",)


class DepartmentTable(Table):
    name = Column(label=_("Name"))
    description = Column(label=_("Description"))
    member_count = Column(label=_("Users"))

    default_order = ("name",)

    def rows(self, objects):
        may_change = self.request is not None and self.request.user.has_perm(
            "accounts.change_department"
        )
        for row in super().rows(objects):
            if may_change:
                url = reverse("accounts:department_edit", args=[row["object"].pk])
                row["cells"][0] = {"value": row["cells"][0]["value"], "url": url}
            yield row
