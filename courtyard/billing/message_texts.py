"""The billing messages administrators may reword (系统设置 › 模板设置).

Services render them with ``core.message_templates.render(key, context)``. The default
bodies are Chinese on purpose: they are sent to residents, whose messages are Chinese, not
shown in the staff interface, so they are data defaults rather than translatable UI text.
"""

from django.utils.translation import gettext_lazy as _

from courtyard.core.message_templates import register
from courtyard.core.messaging import register_purposes

GROUP = _("Fees and payments")

register(
    "billing.bill_published",
    label=_("Bill published"),
    group=GROUP,
    variables={
        "owner_name": _("Owner name"),
        "room_no": _("Room number"),
        "estate_name": _("Estate name"),
        "item": _("Charge item"),
        "period": _("Billing period"),
        "amount": _("Amount due"),
        "due_date": _("Due date"),
    },
    default_subject="{estate_name}{period}{item}账单",
    default_body=(
        "{owner_name}您好，您在{estate_name}{room_no}的{period}{item}账单已发布，"
        "应缴金额¥{amount}，请于{due_date}前缴纳。"
    ),
    samples={
        "owner_name": "张伟",
        "room_no": "3栋1单元502",
        "estate_name": "翠湖花园",
        "item": "物业服务费",
        "period": "2026年11月",
        "amount": "356.40",
        "due_date": "2026-12-15",
    },
)

register(
    "billing.reminder",
    label=_("Payment reminder"),
    group=GROUP,
    variables={
        "owner_name": _("Owner name"),
        "room_no": _("Room number"),
        "estate_name": _("Estate name"),
        "amount": _("Amount overdue"),
        "items": _("Charge items"),
        "periods": _("Billing periods"),
        "days_overdue": _("Days overdue"),
    },
    default_subject="{estate_name}缴费提醒",
    default_body=(
        "{owner_name}您好，您在{estate_name}{room_no}的{items}（{periods}）尚欠¥{amount}，"
        "已逾期{days_overdue}天，请尽快缴纳。如已缴纳，请忽略本消息。"
    ),
    samples={
        "owner_name": "张伟",
        "room_no": "3栋1单元502",
        "estate_name": "翠湖花园",
        "amount": "712.80",
        "items": "物业服务费、水费",
        "periods": "2026年10月—2026年11月",
        "days_overdue": "15",
    },
)


register_purposes(
    {
        "billing.bill_published": _("Bill published"),
        "billing.reminder": _("Payment reminder"),
        "payment_received": _("Payment receipt"),
        "deposit_refunded": _("Deposit refunded"),
    }
)
