"""API of the billing module: one router made of each part's routes."""

from ninja import Router

from .bills import api as bills_api
from .items import api as items_api
from .payments import api as payments_api
from .readings import api as readings_api
from .reminders import api as reminders_api
from .runs import api as runs_api

router = Router()
for part in (items_api, readings_api, runs_api, bills_api, payments_api, reminders_api):
    router.add_router("", part.router)
