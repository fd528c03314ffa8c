"""API: work orders for staff (list, detail, create and the state-change actions)."""

from ninja import Router

router = Router(tags=["repairs"])
