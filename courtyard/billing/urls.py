"""Staff pages of the billing module: each part keeps its own url patterns."""

from .bills import views as bills_views
from .items import views as items_views
from .payments import views as payments_views
from .readings import views as readings_views
from .reminders import views as reminders_views
from .runs import views as runs_views

app_name = "billing"

PARTS = (items_views, readings_views, runs_views, bills_views, payments_views, reminders_views)

urlpatterns = [pattern for part in PARTS for pattern in part.urlpatterns]
