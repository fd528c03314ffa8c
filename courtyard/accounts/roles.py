"""The permission matrix (by the seed's modules) and the default roles.

The matrix is built from ``courtyard.core.modules.MODULES``: every model of a module's apps
(plus the module's extra ``models``) is one row, with the standard actions (view, add,
change, delete) as columns and the model's own ``Meta.permissions`` as labelled extras. A
new app that attaches itself to a module appears in the matrix without any change here.

Default roles are named in Chinese, as the seed names them (the demo data is Chinese);
the description gives the duties in Chinese, then in English, so that English-speaking
administrators can tell them apart. ``setup_roles`` creates the missing ones; a role that
exists keeps the permissions an administrator gave it, except the administrator role, which
always holds every permission of the matrix (so that it keeps "everything" when modules are added).
"""

from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from django.apps import apps
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext_lazy as _

from courtyard.core.modules import MODULES
from courtyard.core.scoping import STANDARD_ACTIONS

# Internal records whose permissions mean nothing to an administrator.
HIDDEN_MODELS = {"accounts.apitoken", "accounts.onetimecode", "accounts.messagedevice"}

ACTION_LABELS = {
    "view": _("View"),
    "add": _("Add"),
    "change": _("Change"),
    "delete": _("Delete"),
}

ADMINISTRATOR = "系统管理员"


@dataclass(frozen=True)
class DefaultRole:
    name: str
    description: str
    patterns: tuple
    name_en: str = ""  # shown to readers of English (core.bilingual)


# Seeing phones and ID numbers in full and changing core resident information (name, ID
# number, unit, ownership) stay with the administrator: "residents.view_*" would match
# residents.view_full_identity, so the residents patterns are spelled out.
RESIDENTS_VIEW = (
    "residents.view_resident",
    "residents.view_registration",
    "residents.view_occupancy",
    "residents.view_vehicle",
)
RESIDENTS_CLERK = (
    *RESIDENTS_VIEW,
    "residents.add_*",
    "residents.change_resident",
    "residents.change_registration",
    "residents.change_occupancy",
    "residents.change_vehicle",
    "residents.delete_*",
    "residents.invite_resident",
)

# Repairs: the clerk takes, accepts, dispatches and cancels; the technician follows up and
# completes; the supervisor ("repairs.*") does everything, incl. close/reopen and statistics.
REPAIRS_VIEW = (
    "repairs.view_workorder",
    "repairs.view_followup",
    "repairs.view_repaircategory",
    "repairs.view_technicianskill",
)
REPAIRS_CLERK = (
    *REPAIRS_VIEW,
    "repairs.add_workorder",
    "repairs.accept_workorder",
    "repairs.dispatch_workorder",
    "repairs.cancel_workorder",
)
REPAIRS_TECHNICIAN = (
    *REPAIRS_VIEW,
    "repairs.followup_workorder",
    "repairs.complete_workorder",
)

# Announcements: customer service sees, writes and submits them; publishing now, withdrawing
# and comment moderation stay with the administrator (or a role given them).
NOTICES_CLERK = (
    "notices.view_*",
    "notices.add_notice",
    "notices.change_notice",
    "notices.submit_notice",
)

# Patterns are fnmatch patterns over "app_label.codename"; later modules add theirs here.
DEFAULT_ROLES = (
    DefaultRole(
        ADMINISTRATOR,
        "全部权限 · Administrator — every permission",
        ("*",),
        name_en="Administrator",
    ),
    DefaultRole(
        "客服专员",
        "住户、报修受理、公告 · Customer service — residents, repairs intake, announcements",
        (
            "estates.view_*",
            *RESIDENTS_CLERK,
            *REPAIRS_CLERK,
            *NOTICES_CLERK,
        ),
        name_en="Customer service",
    ),
    DefaultRole(
        "财务人员",
        "费用、账单与收款 · Finance — fees, bills and payments",
        ("estates.view_*", *RESIDENTS_VIEW, "billing.*"),
        name_en="Finance",
    ),
    DefaultRole(
        "运维主管",
        "房产档案、报修、设施与人员概览 · "
        "Operations supervisor — property register, repairs, facilities, staff",
        (
            "estates.view_*",
            "estates.change_*",
            "accounts.view_user",
            "repairs.*",
            "facilities.*",
            "analytics.view_*",
        ),
        name_en="Operations supervisor",
    ),
    DefaultRole(
        "维修人员",
        "处理报修工单 · Technician — handles repair work orders",
        ("estates.view_*", *REPAIRS_TECHNICIAN, "facilities.view_*"),
        name_en="Technician",
    ),
    DefaultRole(
        "巡检人员",
        "设施巡检 · Inspector — facility inspections",
        ("estates.view_*", "facilities.view_*", "facilities.change_inspection*"),
        name_en="Inspector",
    ),
)

DEFAULT_DEPARTMENTS = ("客服部", "工程部", "财务部", "综合管理部")


@dataclass
class MatrixRow:
    """One model: a permission (or None) per standard action, and its own extra permissions.

    ``extras`` holds (permission, translated label) pairs.
    """

    label: str
    key: str
    actions: dict
    extras: list = field(default_factory=list)

    @property
    def permissions(self):
        return [p for p in self.actions.values() if p is not None] + [p for p, _l in self.extras]

    @property
    def action_cells(self):
        """(action label, permission or None) in the matrix's column order."""
        return [(ACTION_LABELS[a], self.actions[a]) for a in STANDARD_ACTIONS]


@dataclass
class MatrixModule:
    key: str
    label: str
    icon: str
    rows: list

    @property
    def permissions(self):
        return [p for row in self.rows for p in row.permissions]


def _module_models(module):
    found = []
    for app_label in module.app_labels:
        found.extend(apps.get_app_config(app_label).get_models())
    for dotted in module.models:
        found.append(apps.get_model(dotted))
    seen, result = set(), []
    for model in found:
        key = model._meta.label_lower
        if key not in seen and key not in HIDDEN_MODELS:
            seen.add(key)
            result.append(model)
    return result


def permission_matrix():
    """The matrix modules in the seed's order; a module without models has no rows."""
    modules = [(module, _module_models(module)) for module in MODULES.values()]
    models = [model for _module, ms in modules for model in ms]
    content_types = ContentType.objects.get_for_models(*models, for_concrete_models=False)
    by_type = {}
    for perm in Permission.objects.filter(content_type__in=content_types.values()).select_related(
        "content_type"
    ):
        by_type.setdefault(perm.content_type_id, []).append(perm)

    result = []
    for module, module_models in modules:
        rows = []
        for model in module_models:
            row = _row(model, by_type.get(content_types[model].pk, []))
            if row.permissions:
                rows.append(row)
        result.append(MatrixModule(module.key, module.label, module.icon, rows))
    return result


def _row(model, perms):
    opts = model._meta
    by_codename = {p.codename: p for p in perms}
    actions = {a: by_codename.pop(f"{a}_{opts.model_name}", None) for a in STANDARD_ACTIONS}
    # The label from Meta.permissions is translatable; the stored name is not.
    labels = dict(opts.permissions)
    extras = [
        (p, labels.get(p.codename, p.name))
        for p in sorted(by_codename.values(), key=lambda p: p.codename)
    ]
    return MatrixRow(str(opts.verbose_name_plural).capitalize(), opts.label_lower, actions, extras)


def matrix_permissions(matrix=None):
    """Every permission an administrator can grant through the matrix."""
    matrix = permission_matrix() if matrix is None else matrix
    return [p for module in matrix for p in module.permissions]


def full_name(permission):
    return f"{permission.content_type.app_label}.{permission.codename}"


def expand_patterns(patterns, permissions):
    """The permissions (of ``permissions``) whose ``app_label.codename`` matches a pattern."""
    return [p for p in permissions if any(fnmatchcase(full_name(p), pat) for pat in patterns)]
