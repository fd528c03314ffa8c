"""Staff pages of billing: runs (filled in by its builder)."""

urlpatterns = []
NAV = []
