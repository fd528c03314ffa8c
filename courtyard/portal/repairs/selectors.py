"""What a resident reads of their repairs, for the portal's pages and its API alike: the work
orders they reported or that name them; anyone else's is "not found"."""

from django.http import Http404

from courtyard.repairs import selectors as repair_selectors


def my_orders(user):
    return repair_selectors.orders_for_resident(user).select_related(
        "category", "unit", "building", "estate", "assignee"
    )


def my_order(user, pk):
    """One of my work orders; anyone else's is "not found"."""
    order = my_orders(user).filter(pk=pk).first()
    if order is None:
        raise Http404
    return order
