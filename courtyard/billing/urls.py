"""Staff pages of the billing module: each part keeps its own url patterns."""

from . import (
    bills_views,
    items_views,
    payments_views,
    readings_views,
    reminders_views,
    runs_views,
)

app_name = "billing"

PARTS = (items_views, readings_views, runs_views, bills_views, payments_views, reminders_views)

urlpatterns = [pattern for part in PARTS for pattern in part.urlpatterns]
