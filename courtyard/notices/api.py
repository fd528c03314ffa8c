"""API: announcements for staff (drafts, workflow actions, statistics)."""

from ninja import Router

router = Router(tags=["notices"])
