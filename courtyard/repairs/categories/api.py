"""API: repair categories (``repair-categories``: the list new orders choose from, managed
company-wide) and technicians' skills (``technicians``: who covers which categories, which
the dispatch suggestion follows). Writes go through the same services as the pages."""

from django.http import Http404
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from courtyard.accounts.models import User
from courtyard.core.access import acts_on
from courtyard.core.api import Id, Int, Pagination, api_access, filter_query, filtered, resource
from courtyard.core.references import resolve_many
from courtyard.core.scoping import restrict

from .. import selectors, services
from ..filters import RepairCategoryFilterSet, TechnicianFilterSet
from ..models import RepairCategory

router = Router(tags=["repairs"])
TechnicianQuery = filter_query(TechnicianFilterSet)
SORT_ORDER = Field(0, ge=0, le=32767)


class RepairCategoryOut(Schema):
    id: int
    code: str
    name: str
    sort_order: int
    requires_signature: bool
    is_active: bool


class RepairCategoryIn(Schema):
    name: str
    code: str = Field("", description="Made up when empty; it cannot change later.")
    sort_order: Int = SORT_ORDER
    requires_signature: bool = False
    is_active: bool = True


class RepairCategoryPatch(Schema):
    name: str | None = None
    sort_order: Int | None = Field(None, ge=0, le=32767)
    requires_signature: bool | None = None
    is_active: bool | None = None


resource(
    router,
    "/repair-categories",
    RepairCategory,
    name="repair_category",
    rows=lambda user, action: restrict(RepairCategory.objects.all(), user, action),
    out=RepairCategoryOut,
    filterset=RepairCategoryFilterSet,
    order=("sort_order", "pk"),
    create=(RepairCategoryIn, services.create_repair_category),
    update=(RepairCategoryPatch, services.update_repair_category),
    docs={
        "list": "Every repair category (``is_active=true``: those new orders may choose).",
        "update": 'Change a category; ``{"is_active": false}`` deactivates it '
        "(its orders keep it).",
    },
)


class TechnicianOut(Schema):
    id: int
    name: str
    username: str
    department: str
    skills: list[int]
    skill_names: list[str]
    open_load: int

    @staticmethod
    def resolve_name(obj):
        return obj.display_name

    @staticmethod
    def resolve_department(obj):
        return obj.department.name if obj.department_id else ""

    @staticmethod
    def resolve_skills(obj):
        return [row.category_id for row in obj.skill_rows]

    @staticmethod
    def resolve_skill_names(obj):
        return [row.category.name for row in obj.skill_rows]


class SkillsIn(Schema):
    categories: list[Id]


def _technicians(user):
    return selectors.with_skills(services.technicians_for(user)).order_by("full_name", "pk")


@router.get("/technicians", response=list[TechnicianOut])
@api_access("repairs.view_technicianskill")
@paginate(Pagination)
def list_technicians(request, filters: Query[TechnicianQuery]):
    """The technicians in the caller's scope with the repair categories each covers."""
    return filtered(TechnicianFilterSet, request, _technicians(request.user))


@router.put("/technicians/{pk}/skills", response=TechnicianOut)
@api_access("repairs.change_technicianskill")
@acts_on(User)
def set_technician_skills(request, pk: int, payload: SkillsIn):
    """Set the categories a technician covers (the dispatch suggestion follows them)."""
    user = request.user
    technician = _technicians(user).filter(pk=pk).first()
    if technician is None:
        raise Http404
    categories = resolve_many(user, RepairCategory, payload.categories)
    services.set_skills(user, technician, categories)
    return _technicians(user).get(pk=pk)
