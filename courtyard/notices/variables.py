"""Variables in a notice's title and content ({owner_name}, {room_no} …).

A notice template may use every variable of ``TEMPLATE_VARIABLES``; starting a notice from
it fills in the estate and the dates, and leaves the reader's own (``READER_VARIABLES``) for
the portal to fill in for each reader.
"""

from django.utils.html import escape

from courtyard.core.messaging import template_text


def fill(text, context, *, html=False):
    """``text`` with the variables of ``context`` filled in; any other variable stays as it
    is. Values are HTML-escaped when ``html`` (notice content is HTML)."""
    parts = []
    for literal, name, _spec, _conversion in template_text.parse(text):
        parts.append(_literal(literal))
        if name is None:
            continue
        if name in context:
            value = str(context[name])
            parts.append(_literal(escape(value) if html else value))
        else:
            parts.append("{" + name + "}")
    return "".join(parts)


def _literal(text):
    # Literal braces come out of parse() single; written back they must be doubled again.
    return text.replace("{", "{{").replace("}", "}}")


def render(text, context, *, html=False):
    """Every variable filled in (a missing value renders empty), braces unescaped."""
    if html:
        context = {name: escape(str(value)) for name, value in context.items()}
    return template_text.render(text, context)


def reader_context(*, name, estate_name, building="", entrance="", room_no=""):
    return {
        "owner_name": name or "",
        "estate_name": estate_name or "",
        "room_no": f"{building or ''}{entrance or ''}{room_no or ''}",
    }
