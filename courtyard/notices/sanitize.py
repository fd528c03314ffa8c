"""The sanitiser of notice content and comments (nh3 allow-lists).

What is stored is the sanitised result, so every later reader (staff page, portal, API)
gets safe HTML. Anything not on the list goes: tags lose their markup (the text stays),
scripts and styles lose their content too, every event handler and unknown attribute is
dropped, links keep only http, https and mailto targets (with ``rel="noopener
noreferrer"``), images only our own attachment URLs (``/files/<id>/``) or https, and
``style`` keeps a text alignment and nothing else.
"""

import re

import nh3

RICH_TAGS = {
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "p",
    "br",
    "hr",
    "div",
    "span",
    "ul",
    "ol",
    "li",
    "b",
    "strong",
    "i",
    "em",
    "u",
    "s",
    "sub",
    "sup",
    "a",
    "img",
    "blockquote",
    "table",
    "caption",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "th",
    "td",
}
ALIGNABLE = {"h1", "h2", "h3", "h4", "h5", "h6", "p", "div", "li", "td", "th"}
RICH_ATTRIBUTES = {
    **{tag: {"style"} for tag in ALIGNABLE},
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"style", "colspan", "rowspan"},
    "th": {"style", "colspan", "rowspan", "scope"},
}

COMMENT_TAGS = {"b", "strong", "i", "em", "a", "br"}
COMMENT_ATTRIBUTES = {"a": {"href", "title"}}

# Elements whose content is dropped with them, not kept as text.
DROP_WITH_CONTENT = {"script", "style", "iframe", "object", "embed", "noscript", "template"}

LINK_SCHEMES = ("http://", "https://", "mailto:")
OWN_FILE = re.compile(r"^/files/\d+/(\?inline)?$")
ALIGNMENT = re.compile(r"^\s*text-align\s*:\s*(left|center|right|justify)\s*;?\s*$", re.I)
SIZE = re.compile(r"^\d{1,4}%?$")


def _allowed_value(tag, attribute, value):
    """nh3's per-attribute check: None drops the attribute."""
    if attribute == "href":
        return value if value.strip().lower().startswith(LINK_SCHEMES) else None
    if attribute == "src":
        value = value.strip()
        return value if OWN_FILE.match(value) or value.lower().startswith("https://") else None
    if attribute == "style":
        match = ALIGNMENT.match(value)
        return f"text-align: {match.group(1).lower()}" if match else None
    if attribute in ("width", "height", "colspan", "rowspan"):
        return value if SIZE.match(value.strip()) else None
    return value


_rich = nh3.Cleaner(
    tags=RICH_TAGS,
    clean_content_tags=DROP_WITH_CONTENT,
    attributes=RICH_ATTRIBUTES,
    attribute_filter=_allowed_value,
    url_schemes={"http", "https", "mailto"},
    link_rel="noopener noreferrer",
)
_comment = nh3.Cleaner(
    tags=COMMENT_TAGS,
    clean_content_tags=DROP_WITH_CONTENT,
    attributes=COMMENT_ATTRIBUTES,
    attribute_filter=_allowed_value,
    url_schemes={"http", "https", "mailto"},
    link_rel="noopener noreferrer",
)


def clean_rich(html):
    """Notice content (and templates) as the editor sent it → the HTML that is stored."""
    return _rich.clean(html or "").strip()


def clean_comment(text):
    """A comment as typed: plain text with its line breaks kept, or at most b/i/a."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    return _comment.clean(text.replace("\n", "<br>")).strip()


def is_blank(html):
    """Nothing a reader would see: no text and no image."""
    if "<img" in html:
        return False
    text = nh3.clean(html, tags=set())
    return not text.replace("&nbsp;", "").strip()
