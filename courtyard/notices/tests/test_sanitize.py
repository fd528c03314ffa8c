"""The sanitiser: known XSS payloads come out harmless, wanted formatting survives, and what is
stored is the sanitised result."""

from html.parser import HTMLParser

import pytest

from courtyard.notices import services
from courtyard.notices.sanitize import (
    COMMENT_ATTRIBUTES,
    COMMENT_TAGS,
    RICH_ATTRIBUTES,
    RICH_TAGS,
    clean_comment,
    clean_rich,
)

from .conftest import draft

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<img src=x onerror=alert(1)>",
    "<img src=/files/3/ onerror=alert(1)>",
    '<img src="javascript:alert(1)">',
    "<img src=x:alert(alt) onerror=eval(src) alt=0>",
    '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    '<img src="http://evil.example/track.png">',
    '<img src="//evil.example/x.png">',
    "<body onload=alert(1)>",
    "<p onclick=alert(1) onmouseover='alert(2)'>hi</p>",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
    '<a href="&#x6A;avascript&colon;alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<a href="/relative" target="_blank" rel="opener">x</a>',
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<iframe src="https://evil.example"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<form action="javascript:alert(1)"><button>x</button></form>',
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    "<style>body{background:url(javascript:alert(1))}</style>",
    '<p style="width: expression(alert(1))">x</p>',
    '<p style="text-align: center; background: url(javascript:alert(1))">x</p>',
    '<div style="behavior: url(x.htc)">x</div>',
    "<!--<img src=x onerror=alert(1)>-->",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    "<base href=javascript:alert(1)//>",
    '<table background="javascript:alert(1)"><td onmouseover=alert(1)>x</td></table>',
    "<<script>script>alert(1)<</script>/script>",
    '<a href="https://example.com" onclick="alert(1)">ok</a>',
    "<template><script>alert(1)</script></template>",
    '<img """><script>alert(1)</script>">',
]

SAFE_SCHEMES = ("http://", "https://", "mailto:")


class Inspector(HTMLParser):
    """Collects every element and attribute of the sanitised output, as a browser parses it."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def assert_safe(html, tags, attributes):
    inspector = Inspector()
    inspector.feed(html)
    inspector.close()
    for tag, attrs in inspector.elements:
        assert tag in tags, (tag, html)
        for name, value in attrs.items():
            assert name in attributes.get(tag, set()) | {"rel"}, (tag, name, html)
            assert not name.startswith("on")
            if name == "href":
                assert value.strip().lower().startswith(SAFE_SCHEMES), html
            if name == "src":
                assert value.startswith("/files/") or value.startswith("https://"), html
            if name == "style":
                assert value in {f"text-align: {a}" for a in ("left", "center", "right", "justify")}
            if name == "rel":
                assert value == "noopener noreferrer"
    lowered = html.lower()
    for fragment in ("<script", "javascript:", "vbscript:", "data:", "expression(", "<iframe"):
        assert fragment not in lowered, html


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_rich_content_payloads_come_out_harmless(payload):
    assert_safe(clean_rich(payload), RICH_TAGS, RICH_ATTRIBUTES)


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_comment_payloads_come_out_harmless(payload):
    assert_safe(clean_comment(payload), COMMENT_TAGS, COMMENT_ATTRIBUTES)


def test_sanitising_twice_changes_nothing():
    for payload in XSS_PAYLOADS:
        once = clean_rich(payload)
        assert clean_rich(once) == once


def test_rich_formatting_survives():
    html = (
        '<h2>停水通知</h2><p style="text-align:center">'
        "各位业主：<b>明日</b><i>停水</i><u>8小时</u></p>"
        "<ul><li>1栋</li></ul><ol><li>2栋</li></ol><blockquote>物业服务中心</blockquote>"
        '<p><a href="https://example.com/x">详情</a> <a href="mailto:wy@example.com">邮件</a></p>'
        '<p><img src="/files/12/" alt="海报"><img src="https://cdn.example.com/a.png"></p>'
        '<table><thead><tr><th colspan="2">时间</th></tr></thead>'
        "<tbody><tr><td>8:00</td><td>16:00</td></tr></tbody></table>"
    )
    cleaned = clean_rich(html)
    for kept in (
        "<h2>停水通知</h2>",
        '<p style="text-align: center">',
        "<b>明日</b>",
        "<i>停水</i>",
        "<u>8小时</u>",
        "<ul><li>1栋</li></ul>",
        "<blockquote>",
        '<a href="https://example.com/x" rel="noopener noreferrer">详情</a>',
        '<a href="mailto:wy@example.com" rel="noopener noreferrer">',
        '<img src="/files/12/" alt="海报">',
        '<img src="https://cdn.example.com/a.png">',
        '<th colspan="2">时间</th>',
        "<td>8:00</td>",
    ):
        assert kept in cleaned


def test_comments_keep_line_breaks_and_little_else():
    cleaned = clean_comment("第一行\r\n第二行 <b>重要</b> <h1>大字</h1> <img src='/files/1/'>")
    assert cleaned == "第一行<br>第二行 <b>重要</b> 大字"


def test_comments_escape_plain_text_angle_brackets():
    assert clean_comment("1 < 2 & 3 > 2") == "1 &lt; 2 &amp; 3 &gt; 2"


@pytest.mark.django_db
def test_the_stored_content_is_the_sanitised_result(author, estate):
    payload = '<p>停水</p><img src=x onerror=alert(1)><a href="javascript:alert(1)">点我</a>'
    notice = draft(author, estate, content=payload)
    notice.refresh_from_db()
    assert notice.content == clean_rich(payload)
    assert_safe(notice.content, RICH_TAGS, RICH_ATTRIBUTES)


@pytest.mark.django_db
def test_the_stored_comment_is_the_sanitised_result(author, estate, zhang):
    notice = draft(author, estate)
    services.submit_notice(author, notice)  # no approval levels: published at once
    comment = services.add_comment(zhang.user, notice, "<script>alert(1)</script>好的<br>收到")
    comment.refresh_from_db()
    assert comment.body == "好的<br>收到"
