"""The notices messages administrators may reword (系统设置 › 模板设置).

The default texts are Chinese on purpose: they go to residents, so they are data defaults
rather than translatable interface text (as in billing).
"""

from django.utils.translation import gettext_lazy as _

from courtyard.core.message_templates import register
from courtyard.core.messaging import register_purposes

PUBLISHED = "notices.published"

register(
    PUBLISHED,
    label=_("Announcement published"),
    group=_("Announcements"),
    variables={
        "estate_name": _("Estate name"),
        "owner_name": _("Resident name"),
        "room_no": _("Room number"),
        "title": _("Announcement title"),
        "date": _("Effective date"),
    },
    default_subject="{estate_name}公告：{title}",
    default_body="{owner_name}您好，{estate_name}发布了公告《{title}》（{date}起），请登录业主端查看。",
    samples={
        "estate_name": "翠湖花园",
        "owner_name": "张伟",
        "room_no": "3栋1单元502",
        "title": "停水通知",
        "date": "2026-12-01",
    },
)


register_purposes(
    {
        "notice_published": _("Announcement published"),
        "notice_rejected": _("Announcement returned"),
    }
)
