"""Hooks that modules above residents (billing) register, so residents never imports them.

- ``register_arrears_filter(func)``: ``func(queryset) -> queryset`` narrows a Resident
  queryset to the people in arrears (the list's "in arrears" filter). Without one, nobody is.
- ``register_archive_check(func)``: ``func(resident) -> str | None`` answers a reason why the
  person cannot be archived (e.g. "owes ¥320.00"), or None. Every check must pass.
"""

_arrears_filters = []
_archive_checks = []


def register_arrears_filter(func):
    if func not in _arrears_filters:
        _arrears_filters.append(func)
    return func


def register_archive_check(func):
    if func not in _archive_checks:
        _archive_checks.append(func)
    return func


def in_arrears(queryset):
    """The residents of ``queryset`` in arrears according to the registered filters."""
    if not _arrears_filters:
        return queryset.none()
    result = queryset.none()
    for func in _arrears_filters:
        result = result | func(queryset)
    return result


def archive_refusals(resident):
    """The reasons (possibly none) why ``resident`` cannot be archived yet."""
    return [reason for func in _archive_checks if (reason := func(resident))]
