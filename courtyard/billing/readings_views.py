"""Staff pages of billing: readings (filled in by its builder)."""

urlpatterns = []
NAV = []
