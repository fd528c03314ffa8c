"""Staff pages of the repairs module (filled by the staff pages)."""

app_name = "repairs"

urlpatterns = []
