"""Staff pages of billing: reminders (filled in by its builder)."""

urlpatterns = []
NAV = []
