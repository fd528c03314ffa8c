"""The permission matrix of every register model: anonymous, no permission, permission, scope."""

from courtyard.estates.models import Building, Entrance, Estate, Unit
from tests.factories import BuildingFactory, EntranceFactory, UnitFactory
from tests.permission_matrix import ModelPermissionMatrix


def pages(model, *extra):
    names = ["list", "add", "detail", "edit", "delete", "history", *extra]
    return {name: f"estates:{model}_{name}" for name in names}


class TestEstatePermissions(ModelPermissionMatrix):
    model = Estate
    url_names = pages("estate")
    api_list = "/api/v1/estates"
    api_detail = "/api/v1/estates/{pk}"

    def make_object(self, estate):
        return estate


class TestBuildingPermissions(ModelPermissionMatrix):
    model = Building
    url_names = pages("building", "export")
    api_list = "/api/v1/buildings"
    api_detail = "/api/v1/buildings/{pk}"

    def make_object(self, estate):
        return BuildingFactory(estate=estate)


class TestEntrancePermissions(ModelPermissionMatrix):
    model = Entrance
    url_names = pages("entrance")
    api_list = "/api/v1/entrances"
    api_detail = "/api/v1/entrances/{pk}"

    def make_object(self, estate):
        return EntranceFactory(building=BuildingFactory(estate=estate))


class TestUnitPermissions(ModelPermissionMatrix):
    model = Unit
    url_names = pages("unit", "import", "export")
    api_list = "/api/v1/units"
    api_detail = "/api/v1/units/{pk}"

    def make_object(self, estate):
        return UnitFactory(entrance=EntranceFactory(building=BuildingFactory(estate=estate)))
