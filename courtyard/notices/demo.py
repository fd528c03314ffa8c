"""Demo announcements: a dozen notices over the two demo estates in every state, written and
moved through the workflow by the services, so that timelines, approval requests, receipts,
deliveries and messages are all there.

- 翠湖天地 (CHTD): customer service (``service``) writes, the administrator approves (a
  one-level default flow, "物业经理审核"); 金桂花园 (JGHY) has a flow of no levels: its
  notices, written by the administrator, are approved on submitting.
- States: drafts, one awaiting review, one approved and scheduled, published ones (one
  pinned outage, one event for two buildings), one rejected with the reason, one withdrawn,
  expired ones.
- The demo resident (13800000001) has a must-read published to the units of their entrance
  and not yet confirmed (the portal shows the pop-up), an unread outage notice they commented
  on (with a staff reply), and an event they read and liked.
- Readers: about half of each audience has read (as if in the app), some liked, a few
  neighbours commented (one comment hidden as an advertisement, with the reason).
- Two notice templates with variables: 停水通知 and 电梯维保通知.

Idempotent: once notices exist only the templates are checked.
"""

import datetime
import random

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from courtyard.accounts.models import User
from courtyard.core.approvals import services as approvals
from courtyard.core.models import ApprovalFlow, ApprovalLevel
from courtyard.estates.models import Building, Estate, Unit
from courtyard.residents.choices import OccupancyStatus
from courtyard.residents.models import Occupancy

from . import services
from .choices import AudienceKind, NoticeCategory
from .models import Notice, NoticeComment, NoticeReceipt, NoticeTemplate

SEED = 20261127
DEMO_PHONE = "13800000001"
REVIEWER_ROLE = "系统管理员"
C = NoticeCategory

TEMPLATES = [
    (
        "停水通知",
        C.OUTAGE,
        "{estate_name}停水通知",
        "<p>尊敬的{owner_name}业主：</p>"
        "<p>因二次供水设施检修，{estate_name}将于<strong>{start_date}至{end_date}</strong>"
        "暂停供水，请提前做好储水准备。</p>"
        "<p>恢复供水初期水质可能浑浊，请放水片刻后再使用。给您带来不便，敬请谅解。</p>",
    ),
    (
        "电梯维保通知",
        C.NOTICE,
        "{estate_name}电梯维保通知",
        "<p>尊敬的业主：</p>"
        "<p>为保障电梯安全运行，我司将于<strong>{date}</strong>对小区电梯进行例行维护保养，"
        "维保期间电梯将分时段停用，请{room_no}的住户合理安排出行。</p>"
        "<p>如有疑问，请联系物业服务中心。</p>",
    ),
]

NEIGHBOUR_COMMENTS = ["收到，谢谢提醒！", "请问热水器需要关闭吗？", "辛苦物业师傅了👍"]
AD_COMMENT = "专业疏通下水道、开锁换锁，电话 138****5678，加微信优惠！"
AD_REASON = "广告内容，与公告无关"


def seed_notices(now=None):
    """Create the demo notices once; return how many were created."""
    admin = User.objects.filter(username="admin").first()
    if admin is None:
        return 0
    _seed_templates(admin)
    if Notice.objects.exists():
        return 0
    service = User.objects.filter(username="service").first()
    estates = {e.code: e for e in Estate.objects.filter(code__in=("CHTD", "JGHY"))}
    if service is None or len(estates) < 2:
        return 0
    with transaction.atomic():
        _configure_review(admin, estates["JGHY"])
        story = _Story(admin, service, estates, now or timezone.now())
        story.tell()
    return Notice.objects.count()


def _seed_templates(admin):
    for name, category, title, content in TEMPLATES:
        if not NoticeTemplate.objects.filter(name=name).exists():
            services.create_template(
                admin, name=name, category=category, title=title, content=content
            )


def _configure_review(admin, unreviewed_estate):
    """A one-level default flow decided by the administrators, and none for one estate."""
    kind = services.APPROVAL_KIND
    role = Group.objects.filter(name=REVIEWER_ROLE).first()
    if role is not None and not ApprovalFlow.objects.filter(kind=kind, estate=None).exists():
        flow = ApprovalFlow.objects.create(kind=kind, estate=None, updated_by=admin)
        ApprovalLevel.objects.create(flow=flow, order=1, role=role, name="物业经理审核")
    if not ApprovalFlow.objects.filter(kind=kind, estate=unreviewed_estate).exists():
        approvals.set_flow_levels(admin, kind, unreviewed_estate, [])


class _Story:
    """The demo notices, oldest first, each taken to its state through the services."""

    def __init__(self, admin, service, estates, now):
        self.admin, self.service = admin, service
        self.chtd, self.jghy = estates["CHTD"], estates["JGHY"]
        self.now = now
        self.rng = random.Random(SEED)
        self.demo = User.objects.filter(username=DEMO_PHONE).first()

    def days(self, n, hour=9):
        moment = timezone.localtime(self.now) + datetime.timedelta(days=n)
        return moment.replace(hour=hour, minute=0, second=0, microsecond=0)

    def draft(self, author, estate, title, content, **fields):
        data = {
            "title": title,
            "content": content,
            "effective_from": self.days(-1),
            "audience_kind": AudienceKind.ESTATES,
            "estates": [estate],
            "channels": ["app", "sms"],
        }
        data.update(fields)
        return services.create_notice(author, **data)

    def submitted(self, author, estate, title, content, **fields):
        notice = self.draft(author, estate, title, content, **fields)
        return services.submit_notice(author, notice)

    def approved(self, title, content, **fields):
        """A CHTD notice written by customer service and approved by the administrator."""
        notice = self.submitted(self.service, self.chtd, title, content, **fields)
        request = approvals.latest_request(notice)
        approvals.approve(self.admin, request, "同意发布")
        notice.refresh_from_db()
        return notice

    def tell(self):
        self.expired()
        self.rejected()
        self.withdrawn()
        event = self.event()
        outage = self.outage()
        self.must_read()
        self.jghy_notices()
        self.scheduled()
        self.pending()
        self.drafts()
        self.readers()
        self.conversation(outage, event)

    # Each state -------------------------------------------------------------------------

    def expired(self):
        """Published weeks ago; their end has passed and the periodic task expired them."""
        ended = [
            self.approved(
                "国庆假期安全提示",
                "<p>国庆假期外出前请关闭门窗、水电燃气总阀，贵重物品妥善保管。</p>"
                "<p>假期物业服务中心正常值班：8:00–20:00。</p>",
                effective_from=self.days(-40),
                effective_to=self.days(1),
            ),
            self.submitted(
                self.admin,
                self.jghy,
                "台风“海葵”防御提醒",
                "<h3>台风预警</h3><p>请收好阳台花盆、衣物，车辆勿停放在地势低洼处。</p>",
                category=C.EMERGENCY,
                effective_from=self.days(-30),
                effective_to=self.days(1),
            ),
        ]
        Notice.objects.filter(pk__in=[n.pk for n in ended]).update(effective_to=self.days(-20))
        services.expire_due_notices(self.now)

    def rejected(self):
        notice = self.submitted(
            self.service,
            self.chtd,
            "地下车库划线施工通知",
            "<p>地下车库将于本周六全天进行车位划线施工，请车主提前将车辆移出。</p>",
            effective_from=self.days(5),
        )
        approvals.reject(
            self.admin, approvals.latest_request(notice), "施工时间与业主活动冲突，请改到工作日"
        )

    def withdrawn(self):
        notice = self.approved(
            "物业服务费标准说明",
            "<p>根据业主大会决议，2027 年起物业服务费标准调整如下：……</p>",
            effective_from=self.days(-6),
            effective_to=self.days(60),
        )
        services.withdraw_notice(self.admin, notice, reason="内容需补充测算依据，修改后重新提交")

    def event(self):
        buildings = Building.objects.filter(estate=self.chtd).order_by("name")[:2]
        return self.approved(
            "中秋游园会报名",
            "<h3>中秋游园会</h3><ul><li>时间：中秋节当晚 18:30</li><li>地点：中心花园</li>"
            "<li>内容：猜灯谜、做月饼、亲子游戏</li></ul><p>请到物业服务中心报名。</p>",
            category=C.EVENT,
            audience_kind=AudienceKind.BUILDINGS,
            buildings=list(buildings),
            channels=["app", "wechat"],
            effective_from=self.days(-4),
            effective_to=self.days(20),
        )

    def outage(self):
        template = NoticeTemplate.objects.get(name="停水通知")
        start, end = self.days(-2, 8), self.days(2, 18)
        title, content = services.fill_template(
            template, estates=[self.chtd], effective_from=start, effective_to=end
        )
        return self.approved(
            title,
            content,
            category=C.OUTAGE,
            pinned=True,
            effective_from=start,
            effective_to=end,
        )

    def must_read(self):
        """To the units of the demo resident's entrance (theirs among them); they have not
        confirmed it, so the portal shows them the pop-up."""
        home = (
            Occupancy.objects.filter(resident__user=self.demo, status=OccupancyStatus.CURRENT)
            .select_related("unit")
            .order_by("pk")
            .first()
        )
        if home is None:
            return None
        units = Unit.objects.filter(entrance_id=home.unit.entrance_id)
        return self.approved(
            "【必读】消防安全告知书",
            "<h3>消防安全告知书</h3>"
            "<p>{owner_name}您好，{room_no}所在楼栋将于下周进行消防设施年检。</p>"
            "<ol><li>楼道内禁止堆放杂物，电动自行车严禁入户充电；</li>"
            "<li>请勿占用、堵塞消防通道和安全出口；</li>"
            "<li>发现火情请立即拨打 119 并通知物业。</li></ol>"
            "<p>请阅读后点击“我已阅读并知晓”。</p>",
            category=C.EMERGENCY,
            must_read=True,
            audience_kind=AudienceKind.UNITS,
            estates=[home.estate_id],
            units=list(units),
            effective_from=self.days(-1),
            effective_to=self.days(30),
        )

    def jghy_notices(self):
        self.submitted(
            self.admin,
            self.jghy,
            "二次供水水箱清洗通知",
            "<p>本周四 9:00–15:00 清洗二次供水水箱，期间高区住户水压偏低，请提前储水。</p>",
            category=C.OUTAGE,
            effective_from=self.days(-1),
            effective_to=self.days(3),
        )
        self.submitted(
            self.admin,
            self.jghy,
            "小区健身器材更新完成",
            "<p>中心广场健身器材已全部更新，欢迎业主使用，使用时请注意安全。</p>",
            effective_from=self.days(-3),
        )

    def scheduled(self):
        """Approved from the template, published by the periodic task when its day comes."""
        template = NoticeTemplate.objects.get(name="电梯维保通知")
        start = self.days(3)
        title, content = services.fill_template(
            template, estates=[self.chtd], effective_from=start, effective_to=self.days(4)
        )
        return self.approved(title, content, effective_from=start, effective_to=self.days(4))

    def pending(self):
        return self.submitted(
            self.service,
            self.chtd,
            "垃圾分类定时定点投放",
            "<p>自下月 1 日起，小区实行垃圾定时定点投放：早 7:00–9:00，晚 18:00–20:00。</p>",
            effective_from=self.days(7),
        )

    def drafts(self):
        self.draft(
            self.service,
            self.chtd,
            "绿化修剪通知",
            "<p>下周将对小区乔木进行修剪，修剪区域临时围挡，请绕行。</p>",
            effective_from=self.days(10),
        )
        self.draft(
            self.admin,
            self.jghy,
            "业主大会筹备公告",
            "<p>（草稿）业主大会筹备组成员推选事宜……</p>",
            effective_from=self.days(14),
        )

    # Readers ----------------------------------------------------------------------------

    def readers(self):
        """About half of each audience read it (in the first days), some liked it; the demo
        resident's must-read stays unconfirmed."""
        receipts = (
            NoticeReceipt.objects.filter(notice__published_at__isnull=False)
            .exclude(resident__user=self.demo)
            .values_list("pk", "notice__must_read")
        )
        read, liked, confirmed = [], [], []
        for pk, must_read in receipts:
            if self.rng.random() < 0.55:
                read.append(pk)
                if must_read and self.rng.random() < 0.8:
                    confirmed.append(pk)
                if self.rng.random() < 0.15:
                    liked.append(pk)
        for share, hours in ((read[::3], 1), (read[1::3], 6), (read[2::3], 26)):
            stamp = self.now - datetime.timedelta(hours=30 - hours)
            NoticeReceipt.objects.filter(pk__in=share).update(read_at=stamp)
        stamp = self.now - datetime.timedelta(hours=3)
        NoticeReceipt.objects.filter(pk__in=confirmed).update(confirmed_at=stamp)
        NoticeReceipt.objects.filter(pk__in=liked).update(liked_at=stamp)

    def conversation(self, outage, event):
        """Neighbours' comments on the outage, the demo resident's question with a staff
        reply, an advertisement hidden; the demo resident read and liked the event."""
        neighbours = list(
            NoticeReceipt.objects.filter(notice=outage)
            .exclude(resident__user=self.demo)
            .order_by("resident_id")
            .values_list("resident_id", flat=True)[:4]
        )
        for resident, body in zip(neighbours, NEIGHBOUR_COMMENTS, strict=False):
            NoticeComment.objects.create(notice=outage, resident_id=resident, body=body)
        if len(neighbours) > 3:
            ad = NoticeComment.objects.create(
                notice=outage, resident_id=neighbours[3], body=AD_COMMENT
            )
            services.hide_comment(self.admin, ad, AD_REASON)
        if self.demo is None or not outage.receipts.filter(resident__user=self.demo).exists():
            return
        question = services.add_comment(self.demo, outage, "请问周末能恢复供水吗？家里有老人。")
        services.reply_to_comment(
            self.admin, question, "您好，预计后天 18:00 前恢复供水，如有特殊困难请致电物业。"
        )
        if event.receipts.filter(resident__user=self.demo).exists():
            services.mark_read(self.demo, event)
            services.like(self.demo, event)
