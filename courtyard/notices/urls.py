"""Staff pages of the notices module (the pages come with the staff-pages part)."""

app_name = "notices"

urlpatterns = []
