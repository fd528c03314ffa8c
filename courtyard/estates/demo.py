"""Demo property register: two estates with buildings, entrances and a few hundred units."""

import random
from decimal import Decimal

from django.db import transaction

from .choices import Occupancy, UnitUse
from .models import Building, Entrance, Estate, Unit

ESTATES = [
    # name, code, address, phone, buildings, entrances per building, floors, units per floor
    ("翠湖天地", "CHTD", "上海市徐汇区龙华中路 600 号", "021-64380001", 4, 2, 12, 2),
    ("金桂花园", "JGHY", "杭州市西湖区文三路 288 号", "0571-88230002", 3, 2, 9, 2),
]
AREAS = [
    Decimal("68.50"),
    Decimal("89.20"),
    Decimal("105.00"),
    Decimal("126.80"),
    Decimal("143.60"),
]
OCCUPANCY = (
    [Occupancy.OCCUPIED] * 6 + [Occupancy.RENTED] * 2 + [Occupancy.VACANT, Occupancy.DECORATING]
)


@transaction.atomic
def seed_estates(creator=None):
    """Create the demo estates once; later runs change nothing. Returns the estates."""
    rng = random.Random(2026)
    estates = []
    for name, code, address, phone, n_buildings, n_entrances, floors, per_floor in ESTATES:
        estate, created = Estate.objects.get_or_create(
            code=code,
            defaults={"name": name, "address": address, "phone": phone, "created_by": creator},
        )
        estates.append(estate)
        if not created:
            continue
        units = []
        for b in range(1, n_buildings + 1):
            building = Building.objects.create(
                estate=estate, name=f"{b}号楼", floors=floors, created_by=creator
            )
            for e in range(1, n_entrances + 1):
                entrance = Entrance.objects.create(
                    building=building, estate=estate, name=f"{e}单元", created_by=creator
                )
                for floor in range(1, floors + 1):
                    for position in range(1, per_floor + 1):
                        units.append(
                            Unit(
                                estate=estate,
                                building=building,
                                entrance=entrance,
                                room_no=f"{floor}{position:02d}",
                                floor=floor,
                                area=AREAS[(position + b) % len(AREAS)],
                                use=UnitUse.RESIDENTIAL,
                                status=rng.choice(OCCUPANCY),
                                created_by=creator,
                            )
                        )
        # Street-front shops along the first building.
        first = estate.buildings.order_by("name").first()
        shop_entrance = Entrance.objects.create(
            building=first, estate=estate, name="商铺", created_by=creator
        )
        for n in range(1, 6):
            units.append(
                Unit(
                    estate=estate,
                    building=first,
                    entrance=shop_entrance,
                    room_no=f"S{n:02d}",
                    floor=1,
                    area=Decimal("56.00") + n * 10,
                    use=UnitUse.SHOP,
                    status=rng.choice([Occupancy.OCCUPIED, Occupancy.RENTED, Occupancy.VACANT]),
                    created_by=creator,
                )
            )
        Unit.objects.bulk_create(units)
    return estates
