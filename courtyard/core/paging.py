"""Reading a long list a page at a time."""


class IdsFirst:
    """A list read a slice at a time in two steps: the slice's ids from the main
    table alone (the database walks an index in the list's order and stops after the slice),
    then those rows with their relations. In one read with the joins, SQLite planned a
    scoped list of work orders from the estates over every order in the scope (a second or
    more at 500,000 orders); bills at a million rows likewise. Paginators and the API's
    pagination take it as they take a queryset."""

    def __init__(self, queryset):
        self.queryset = queryset

    def all(self):
        return self

    def count(self):
        return self.queryset.count()

    def __getitem__(self, window):
        ids = list(self.queryset.values_list("pk", flat=True)[window])
        rows = self.queryset.in_bulk(ids)
        return [rows[pk] for pk in ids if pk in rows]
