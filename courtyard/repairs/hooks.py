"""Hooks that modules above repairs (billing) register, so repairs never imports them.

- ``register_paid_repair_handler(func)``: ``func(order, actor)`` is called once, inside the
  completing transaction, when a paid work order is completed for the first time (billing
  raises a one-off charge for ``order.cost``). An exception rolls the completion back.
"""

_paid_repair_handlers = []


def register_paid_repair_handler(func):
    if func not in _paid_repair_handlers:
        _paid_repair_handlers.append(func)
    return func


def unregister_paid_repair_handler(func):
    if func in _paid_repair_handlers:
        _paid_repair_handlers.remove(func)


def paid_repair_completed(order, actor):
    """Call every registered handler for a paid order that has just been completed."""
    for func in list(_paid_repair_handlers):
        func(order, actor)
