"""Staff pages of billing: items (filled in by its builder)."""

urlpatterns = []
NAV = []
