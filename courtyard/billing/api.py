"""API of the billing module: one router made of each part's routes."""

from ninja import Router

from . import bills_api, items_api, payments_api, readings_api, reminders_api, runs_api

router = Router()
for part in (items_api, readings_api, runs_api, bills_api, payments_api, reminders_api):
    router.add_router("", part.router)
