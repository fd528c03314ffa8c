"""Staff pages of billing: payments (filled in by its builder)."""

urlpatterns = []
NAV = []
