"""Staff pages of billing: bills (filled in by its builder)."""

urlpatterns = []
NAV = []
