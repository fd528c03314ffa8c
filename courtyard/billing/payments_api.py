"""API of billing: payments (filled in by its builder)."""

from ninja import Router

router = Router(tags=["billing"])
