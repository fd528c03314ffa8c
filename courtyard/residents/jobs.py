"""Background jobs of the residents register: the Excel import (all or nothing) and export."""

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from courtyard.core import excel
from courtyard.core.generic import export_job
from courtyard.core.importing import Choice, Date, Email, Importer, Text
from courtyard.core.jobs import job_handler, progress, save_output
from courtyard.estates.columns import place_columns

from . import services
from .choices import ResidentKind, Role
from .filters import ResidentFilterSet
from .models import Resident
from .tables import ResidentTable

CUSTOMARY_ROLES = {
    "业主": Role.OWNER,
    "产权人": Role.OWNER,
    "租户": Role.TENANT,
    "租客": Role.TENANT,
    "家属": Role.MEMBER,
    "同住人": Role.MEMBER,
    "家庭成员": Role.MEMBER,
}
RESIDENT_COLUMNS = (
    *place_columns(estate="翠湖天地", building="1号楼", room="101"),
    Text("name", pgettext_lazy("person", "Name"), example="张伟", aliases=("姓名",)),
    Choice(
        "role",
        gettext_lazy("Role"),
        choices=Role,
        words=CUSTOMARY_ROLES,
        example=Role.OWNER.label,
        aliases=("身份", "类型"),
    ),
    Text(
        "id_number",
        gettext_lazy("ID number"),
        required=False,
        example="11010519491231002X",
        aliases=("身份证号", "身份证号码"),
    ),
    Text(
        "phone",
        gettext_lazy("Mobile number"),
        required=False,
        example="13912345678",
        aliases=("手机号", "手机", "电话"),
    ),
    Text("relation", gettext_lazy("Relation"), required=False, aliases=("关系", "与户主关系")),
    Date(
        "move_in",
        gettext_lazy("Move-in date"),
        required=False,
        example="2024-05-01",
        aliases=("入住日期",),
    ),
    Email("email", gettext_lazy("Email"), required=False, aliases=("邮箱",)),
    Text(
        "emergency_contact",
        gettext_lazy("Emergency contact"),
        required=False,
        aliases=("紧急联系人",),
    ),
    Text(
        "emergency_phone",
        gettext_lazy("Emergency phone"),
        required=False,
        aliases=("紧急联系电话",),
    ),
    Text("company_name", gettext_lazy("Company name"), required=False, aliases=("公司名称",)),
)
PERSON_FIELDS = (
    "name",
    "id_number",
    "phone",
    "company_name",
    "email",
    "emergency_contact",
    "emergency_phone",
    "relation",
)


def by_unit(rows):
    """``[(number, (unit, person))]`` as ``[(unit, [(number, person)])]``, in file order."""
    groups = {}
    for number, (unit, person) in rows:
        groups.setdefault(unit.pk, (unit, []))[1].append((number, person))
    return list(groups.values())


class ResidentImporter(Importer):
    """People of units, one row per person and unit, checked unit by unit with the form's
    rules (``services.check_people``) and recorded as current residents at once."""

    kind = "residents.import_residents"
    model = Resident
    title = "residents"
    columns = RESIDENT_COLUMNS
    fallback_column = "name"

    def row(self, values, number):
        unit, role = values["room_no"], values["role"]
        if unit is None or role is None:
            return None
        person = services.PersonInput(
            role=role,
            kind=ResidentKind.COMPANY if values["company_name"] else ResidentKind.INDIVIDUAL,
            **{name: values[name] or "" for name in PERSON_FIELDS},
        )
        person.move_in = values["move_in"] or timezone.localdate()
        return unit, person

    def check(self, rows):
        for unit, people in by_unit(rows):
            found = services.check_people(unit, [person for _number, person in people])
            for (number, _person), errors in zip(people, found, strict=True):
                if errors:
                    self.reject(number, ValidationError(errors))

    def save(self, rows):
        for unit, people in by_unit(rows):
            with self.saving(people[0][0]):
                try:
                    services.import_unit_people(self.user, unit, [p for _n, p in people])
                except ValidationError as error:  # changed since the check
                    for key, messages in error.message_dict.items():
                        _people, index, name = key.split("-", 2)
                        self.reject(people[int(index)][0], ValidationError({name: messages}))
        return len(rows)

    def summary(self, result):
        return _("%(count)s residents imported.") % {"count": result}


@job_handler("residents.export_residents")
def export_residents(job):
    """The filtered list the user may view, masked unless they may see identities in full."""
    from .selectors import current_residents

    table = export_job(
        job.user, Resident.objects.all(), ResidentFilterSet, ResidentTable, job.params
    )
    queryset = current_residents(job.user).filter(pk__in=table.queryset.values("pk"))
    table = ResidentTable(
        queryset.order_by("name", "pk"),
        full_identity=job.user.has_perm("residents.view_full_identity"),
    )
    progress(job, 0, table.queryset.count())
    content = excel.write_workbook(
        table.export_headers(), table.export_rows(), title=_("residents")
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    save_output(job, f"{_('residents')}-{stamp}.xlsx", content)
    progress(job, job.total)
    return {"summary": _("%(count)s rows exported.") % {"count": job.total}}
