"""API: estates, buildings, entrances, units."""

from ninja import Router

router = Router(tags=["property"])
