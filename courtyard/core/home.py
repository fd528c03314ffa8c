"""The home page: cards that modules register, each computed for the signed-in user's scope."""

_cards = []


def register_card(func):
    """``func(request)`` returns ``{"title", "icon", "items": [(label, value, url)]}`` or None."""
    _cards.append(func)
    return func


def overview(request):
    cards = [card for card in (func(request) for func in _cards) if card]
    return {"cards": cards}
