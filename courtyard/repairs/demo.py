"""Demo repairs: several hundred work orders over the last year in every state, so that the
lists, the technician's phone page and the statistics tell a story.

- seasons: pipes burst in winter, water and electricity peak in summer, the elevators and
  door access break all year round; a handful of units call again and again;
- most old orders are closed (confirmed, closed by staff or automatically) and rated, some
  reopened once after the resident rejected the result, a few cancelled;
- the last days hold the open work: new requests (some already past the response deadline),
  accepted, dispatched and in-progress orders (some past the resolution deadline), and
  completed orders awaiting the resident; the demo resident (13800000001) has a few of each;
- everything is assigned to ``tech1`` (who gets skills); reporters are the residents of the
  units, the service desk, and the inspector for public areas.

Written with bulk_create (the services would take minutes) but consistent: timestamps in
order, SLA deadlines from the parameters, numbers sequential per estate and year (and the
sequences set so that new orders continue them), a timeline for every order.
Idempotent: once work orders exist, only tech1's skills and the roles are checked.
"""

import datetime
import random
from contextlib import contextmanager
from decimal import Decimal

from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from courtyard.accounts.models import User
from courtyard.core.models import TimelineEvent
from courtyard.residents.choices import OccupancyStatus
from courtyard.residents.models import Occupancy

from .choices import URGENCY_RANK, Source, Urgency, WorkOrderStatus
from .models import FollowUp, RepairCategory, TechnicianSkill, WorkOrder, WorkOrderSequence
from .services import sla_hours
from .statistics import rollup
from .tasks import BREACHES

S = WorkOrderStatus
DAYS = 365
TOTAL = 600
RECENT = 60
SEED = 20260401

# category code → (weight by month 1..12, problems)
PROBLEMS = {
    "water_electric": (
        [6, 6, 7, 8, 10, 14, 16, 16, 12, 8, 7, 6],
        ["厨房插座跳闸", "卫生间灯不亮", "热水器漏电保护跳闸", "空调插座没电", "电表箱异响"],
    ),
    "pipes": (
        [16, 14, 8, 5, 4, 4, 4, 4, 4, 6, 10, 15],
        ["厨房水管漏水", "卫生间下水道堵塞", "暖气片漏水", "水管冻裂", "马桶水箱漏水"],
    ),
    "elevator": (
        [6, 6, 6, 6, 6, 7, 7, 7, 6, 6, 6, 6],
        ["电梯运行异响", "电梯按键失灵", "电梯门关不上", "电梯停在两层之间"],
    ),
    "door_access": (
        [5, 5, 4, 4, 4, 4, 4, 4, 6, 5, 5, 5],
        ["单元门禁刷卡无反应", "门禁对讲没有声音", "单元门关不严", "人脸识别失灵"],
    ),
    "public_facility": (
        [3, 3, 4, 5, 5, 6, 6, 6, 5, 4, 3, 3],
        ["路灯不亮", "健身器材损坏", "楼道窗户玻璃破损", "地下车库照明坏了", "垃圾桶损坏"],
    ),
    "other": (
        [2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2],
        ["防盗门锁芯卡住", "阳台晾衣架掉落", "墙面渗水发霉"],
    ),
}
PUBLIC_PLACES = ["电梯厅", "一楼大堂", "地下车库B区", "东门", "中心花园", "楼道三层"]
WORK_DONE = {
    "water_electric": ("更换漏电保护开关", "空气开关×1"),
    "pipes": ("更换老化水管并重新密封", "PPR管1米、生料带"),
    "elevator": ("联系维保单位调整门机并试运行", ""),
    "door_access": ("更换读卡模块并重新授权", "读卡模块×1"),
    "public_facility": ("更换灯具/配件", "LED灯×2"),
    "other": ("现场维修完成", "配件若干"),
}
FOLLOW_UPS = ["已电话联系业主，约好上门时间", "已到现场查看，需要备料", "配件已到，明天上门更换"]
COMMENTS = ["师傅很专业，速度快", "态度很好", "修得不错", "来得有点晚", "还算及时", ""]
REJECT_REASONS = ["修完第二天又漏了", "灯还是时亮时不亮", "门禁还是经常刷不开"]


def seed_repairs(now=None):
    """Create the demo work orders once; return how many were created."""
    _grant_default_roles()
    tech = User.objects.filter(username="tech1").first()
    if tech is not None:
        _seed_skills(tech)
    if WorkOrder.objects.exists() or tech is None:
        return 0
    created = _seed_orders(tech, now or timezone.now())
    rollup.rebuild()  # written with bulk_create, around the services
    return created


def _grant_default_roles():
    """Built-in roles created before the repairs module existed get its default rights."""
    from courtyard.accounts import roles

    permissions = roles.matrix_permissions()
    for default in roles.DEFAULT_ROLES:
        group = Group.objects.filter(name=default.name).first()
        if group is None or group.permissions.filter(content_type__app_label="repairs").exists():
            continue
        wanted = [p for p in default.patterns if p == "*" or p.startswith("repairs.")]
        group.permissions.add(*roles.expand_patterns(wanted, permissions))


def _seed_skills(tech):
    for category in RepairCategory.objects.exclude(code="elevator"):
        TechnicianSkill.objects.get_or_create(user=tech, category=category)


@contextmanager
def _keep_timestamps(*models):
    """Let bulk_create write the given created_at/updated_at/at values (demo history)."""
    saved = []
    for model in models:
        for field in model._meta.concrete_fields:
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                saved.append((field, field.auto_now, field.auto_now_add))
                field.auto_now = field.auto_now_add = False
    try:
        yield
    finally:
        for field, auto_now, auto_now_add in saved:
            field.auto_now, field.auto_now_add = auto_now, auto_now_add


def _hours(hours):
    return datetime.timedelta(seconds=int(Decimal(hours) * 3600))


class Story:
    """Random but reproducible choices for one seeding."""

    def __init__(self, tech, now):
        self.rng = random.Random(SEED)
        self.tech = tech
        self.now = now
        self.desk = User.objects.filter(username="service").first() or tech
        self.inspector = User.objects.filter(username="inspector1").first() or self.desk
        self.categories = {c.code: c for c in RepairCategory.objects.all()}
        occupancies = list(
            Occupancy.objects.filter(status=OccupancyStatus.CURRENT, role__in=("owner", "tenant"))
            .select_related("resident", "unit", "building")
            .order_by("unit_id", "pk")
        )
        by_unit = {}
        for occupancy in occupancies:
            by_unit.setdefault(occupancy.unit_id, occupancy)
        self.homes = list(by_unit.values())
        self.demo_home = next(
            (o for o in self.homes if o.resident.user_id and o.resident.phone == "13800000001"),
            None,
        )
        # A few units that call again and again (the "recurring problems" of the statistics).
        self.repeaters = self.rng.sample(self.homes, min(8, len(self.homes)))
        self.buildings = sorted({o.building for o in self.homes}, key=lambda b: b.pk)

    def category(self, month):
        codes = [c for c in PROBLEMS if c in self.categories]
        weights = [PROBLEMS[c][0][month - 1] for c in codes]
        return self.categories[self.rng.choices(codes, weights)[0]]

    def urgency(self, category):
        roll = self.rng.random()
        if category.code == "elevator":
            return Urgency.EMERGENCY if roll < 0.35 else Urgency.URGENT
        return (
            Urgency.EMERGENCY if roll < 0.05 else Urgency.URGENT if roll < 0.25 else Urgency.NORMAL
        )


def _seed_orders(tech, now):
    story = Story(tech, now)
    if not story.homes or not story.categories:
        return 0
    rng = story.rng
    plans = []
    for _ in range(TOTAL):
        age = datetime.timedelta(minutes=rng.randint(10, DAYS * 24 * 60))
        # Busier recent weeks: a quarter of the orders lie in the last 30 days.
        if rng.random() < 0.25:
            age = datetime.timedelta(minutes=rng.randint(10, 30 * 24 * 60))
        created = now - age
        # Office hours mostly.
        local = timezone.localtime(created)
        created = created.replace(minute=rng.randint(0, 59)) - datetime.timedelta(
            hours=(local.hour - rng.randint(8, 20)) if rng.random() < 0.8 else 0
        )
        if created >= now:
            created = now - datetime.timedelta(minutes=rng.randint(5, 120))
        plans.append(created)
    # The open work of the last days: new, accepted, dispatched, in progress, awaiting the resident.
    for _ in range(RECENT):
        plans.append(now - datetime.timedelta(minutes=rng.randint(10, 5 * 24 * 60)))
    plans.sort()
    orders = []
    demo_slots = _demo_resident_slots(story, plans)
    for index, created in enumerate(plans):
        orders.append(_plan(story, created, demo_slots.get(index, False)))
    for order, _follow_ups, _events in orders:
        _mark_past_breaches_notified(order, now)
    with transaction.atomic(), _keep_timestamps(WorkOrder, FollowUp, TimelineEvent):
        _number(orders)
        WorkOrder.objects.bulk_create([o for o, _f, _e in orders], batch_size=500)
        follow_ups, events = [], []
        content_type = ContentType.objects.get_for_model(WorkOrder)
        for order, order_follow_ups, order_events in orders:
            for follow_up in order_follow_ups:
                follow_up.work_order_id = order.pk
                follow_ups.append(follow_up)
            for event in order_events:
                event.content_type = content_type
                event.object_id = str(order.pk)
                events.append(event)
        FollowUp.objects.bulk_create(follow_ups, batch_size=500)
        TimelineEvent.objects.bulk_create(events, batch_size=1000)
    return len(orders)


def _mark_past_breaches_notified(order, now):
    """A deadline of the demo history that passed before seeding was told at the time: the
    breach task reports only breaches that happen after it (the first run after a fresh
    install sent one notice per historical breach and flooded the supervisors' bells)."""
    for statuses, due_field, notified_field in BREACHES.values():
        due = getattr(order, due_field)
        if order.status in statuses and due is not None and due < now:
            setattr(order, notified_field, due)


def _demo_resident_slots(story, plans):
    """Order index → the state the demo resident's order stops at: a new one, one being
    repaired, one awaiting their confirmation, and a closed history."""
    if story.demo_home is None:
        return {}
    now, count = story.now, len(plans)

    def latest_before(days):
        cutoff = now - datetime.timedelta(days=days)
        return max((i for i, created in enumerate(plans) if created < cutoff), default=0)

    slots = {count // 3: None, count // 2: None, (2 * count) // 3: None}
    slots[latest_before(5)] = S.COMPLETED
    slots[latest_before(2)] = S.IN_PROGRESS
    slots[count - 1] = S.SUBMITTED
    return slots


def _number(orders):
    """Numbers sequential per estate and year in report order; the sequences continue them."""
    counters = {}
    for order, _f, _e in orders:
        year = timezone.localtime(order.created_at).year
        key = (order.estate_id, year)
        counters[key] = counters.get(key, 0) + 1
        order.number = f"BX-{year}-{counters[key]:06d}"
    for (estate_id, year), last in counters.items():
        WorkOrderSequence.objects.update_or_create(
            estate_id=estate_id, year=year, defaults={"last_number": last}
        )


def _plan(story, created, demo=False):
    """One work order with its follow-ups and timeline, in a state fitting its age.

    ``demo``: False, or the state an order of the demo resident should stop at (None: any).
    """
    demo_home = demo is not False
    rng = story.rng
    month = timezone.localtime(created).month
    category = story.category(month)
    urgency = story.urgency(category)
    problem = rng.choice(PROBLEMS[category.code][1])
    home = story.demo_home if demo_home else None
    if home is None:
        home = rng.choice(story.repeaters) if rng.random() < 0.12 else rng.choice(story.homes)
    public = not demo_home and (
        category.code in ("elevator", "public_facility") or rng.random() < 0.05
    )
    order = WorkOrder(
        estate_id=home.unit.estate_id,
        category=category,
        urgency=urgency,
        priority=URGENCY_RANK[urgency],
        created_at=created,
        updated_at=created,
        response_due=created + _hours(sla_hours("response", urgency)),
        resolution_due=created + _hours(sla_hours("resolution", urgency)),
        is_paid=category.code in ("water_electric", "pipes", "other") and rng.random() < 0.2,
    )
    events = [_event("submitted", f"报修：{problem}", created, None)]
    if public:
        building = rng.choice(story.buildings) if story.buildings else home.building
        order.estate_id = building.estate_id
        order.building_id = building.pk
        order.location = f"{building.name}{rng.choice(PUBLIC_PLACES)}"
        order.description = f"{order.location}{problem}"
        order.source = Source.INSPECTION if rng.random() < 0.5 else Source.PHONE
        order.reported_by = story.inspector if order.source == Source.INSPECTION else story.desk
        order.contact_name = order.reported_by.display_name
        order.contact_phone = order.reported_by.phone
    else:
        order.building_id = home.unit.building_id
        order.unit_id = home.unit_id
        order.description = problem
        order.resident = home.resident
        order.contact_name = home.resident.name
        order.contact_phone = home.resident.phone
        order.preferred_time = rng.choice(["", "工作日晚上", "周末上午", "随时"])
        user = home.resident.user if home.resident.user_id else None
        if user is not None:
            order.source = Source.PORTAL
            order.reported_by = user
        else:
            order.source = rng.choice([Source.PHONE, Source.PHONE, Source.WALK_IN])
            order.reported_by = story.desk
    order.created_by = order.reported_by
    events[0].actor = order.reported_by
    follow_ups = []
    _advance(story, order, events, follow_ups, problem, demo or None)
    order.updated_at = max([order.created_at] + [e.at for e in events])
    return order, follow_ups, events


def _event(verb, message, at, actor, **data):
    return TimelineEvent(verb=verb, message=message, at=at, actor=actor, data=data)


def _advance(story, order, events, follow_ups, problem, target=None):
    """Walk the order through the states its age allows, with realistic delays."""
    rng, now, tech, desk = story.rng, story.now, story.tech, story.desk
    created = order.created_at
    # A demo resident's order must reach its state: it is never late (a late answer or repair
    # two days ago might not have come yet, and the portal would miss that state).
    may_be_late = target is None
    age_hours = (now - created).total_seconds() / 3600
    response = float(sla_hours("response", order.urgency))
    resolution = float(sla_hours("resolution", order.urgency))

    def at(start, hours):
        moment = start + datetime.timedelta(hours=hours)
        return moment if moment < now else None

    # Orders of the last five days stop at some open state.
    if target is None and age_hours < 120:
        target = rng.choices(
            [S.SUBMITTED, S.ACCEPTED, S.DISPATCHED, S.IN_PROGRESS, S.COMPLETED, None],
            [18, 12, 22, 20, 18, 10],
        )[0]
    if target == S.SUBMITTED:
        order.status = S.SUBMITTED
        return
    if target is None and rng.random() < 0.04:
        order.cancelled_at = at(created, rng.uniform(0.2, 6)) or now
        order.status = S.CANCELLED
        order.cancel_reason = rng.choice(["业主自行修好", "重复报修", "业主取消"])
        events.append(_event("cancelled", f"取消：{order.cancel_reason}", order.cancelled_at, desk))
        return
    # 8% answered late (response breach).
    late = rng.random() < 0.08 and may_be_late
    delay = response * (rng.uniform(1.1, 3) if late else rng.uniform(0.05, 0.8))
    accepted = at(created, delay)
    if accepted is None:
        order.status = S.SUBMITTED
        return
    order.accepted_at = accepted
    order.status = S.ACCEPTED
    events.append(_event("accepted", "已接单", accepted, desk))
    dispatched = at(accepted, rng.uniform(0.05, 1.5))
    if dispatched is None or target == S.ACCEPTED:
        return
    _dispatch(order, events, dispatched, tech, desk)
    started = at(dispatched, rng.uniform(0.3, 4))
    if started is None or target == S.DISPATCHED:
        return
    order.started_at, order.status = started, S.IN_PROGRESS
    events.append(_event("started", "开始维修", started, tech))
    if rng.random() < 0.5:
        text = rng.choice(FOLLOW_UPS)
        moment = at(started, rng.uniform(0.2, 3))
        if moment is not None:
            follow_ups.append(
                FollowUp(
                    author=tech, text=text, created_at=moment, updated_at=moment, created_by=tech
                )
            )
            events.append(_event("followed_up", text, moment, tech))
    # 10% finished late (resolution breach).
    remaining = max(resolution - (started - created).total_seconds() / 3600, 0.5)
    late = rng.random() < 0.1 and may_be_late
    spent = remaining * (rng.uniform(1.1, 2.5) if late else rng.uniform(0.1, 0.9))
    completed = at(started, spent)
    if completed is None or target == S.IN_PROGRESS:
        return
    _complete(order, events, completed, tech, rng)
    if target == S.COMPLETED:
        return
    # Rejected once by the resident (a reopen), then fixed again.
    if order.resident_id and rng.random() < 0.07:
        rejected = at(completed, rng.uniform(2, 40))
        if rejected is None:
            return
        reason = rng.choice(REJECT_REASONS)
        order.status, order.reopen_count = S.DISPATCHED, 1
        order.completed_at = order.started_at = None
        order.dispatched_at = rejected
        order.resolution_due = rejected + _hours(resolution)
        events.append(
            _event(
                "rejected",
                f"业主不认可维修结果：{reason}",
                rejected,
                order.reported_by if order.source == Source.PORTAL else None,
            )
        )
        restarted = at(rejected, rng.uniform(2, 20))
        if restarted is None:
            return
        order.started_at, order.status = restarted, S.IN_PROGRESS
        events.append(_event("started", "开始维修", restarted, tech))
        completed = at(restarted, rng.uniform(1, 8))
        if completed is None:
            return
        _complete(order, events, completed, tech, rng)
    # The resident confirms, staff close, or it closes by itself after 7 days.
    portal = order.source == Source.PORTAL
    resident_actor = order.reported_by if portal else None
    roll = rng.random()
    if roll < 0.6 and portal:
        closed = at(completed, rng.uniform(1, 72))
        how, actor, verb = "业主确认维修完成", order.reported_by, "confirmed"
    elif roll < 0.6:
        closed = at(completed, rng.uniform(1, 72))
        how, actor, verb = "电话回访业主确认，关闭", desk, "closed"
    elif roll < 0.8:
        closed = at(completed, rng.uniform(24, 120))
        how, actor, verb = "关闭", desk, "closed"
    else:
        closed = at(completed, 24 * 7 + rng.uniform(0.1, 1))
        how, actor, verb = "完工7天后自动关闭", None, "closed"
        order.closed_automatically = closed is not None
    if order.resident_id and rng.random() < 0.75:
        rated = at(completed, rng.uniform(1, 48))
        if rated is not None:
            stars = rng.choices([5, 4, 3, 2, 1], [55, 28, 10, 5, 2])[0]
            order.rating, order.rated_at = stars, rated
            order.rating_comment = rng.choice(COMMENTS)
            events.append(_event("rated", f"评价 {stars} 星", rated, resident_actor, stars=stars))
    if closed is None:
        return
    order.status, order.closed_at = S.CLOSED, closed
    events.append(_event(verb, how, closed, actor))


def _dispatch(order, events, moment, tech, desk):
    order.status, order.assignee, order.dispatched_at = S.DISPATCHED, tech, moment
    order.dispatch_note = "请30分钟内联系业主" if order.unit_id else "请尽快到现场查看"
    events.append(
        _event(
            "dispatched",
            f"派工给{tech.display_name}",
            moment,
            desk,
            assignee=tech.pk,
            note=order.dispatch_note,
        )
    )


def _complete(order, events, moment, tech, rng):
    work, materials = WORK_DONE[order.category.code]
    order.status, order.completed_at = S.COMPLETED, moment
    order.work_done, order.materials = work, materials
    prices = ["30.00", "45.00", "80.00", "120.00"]
    order.cost = Decimal(rng.choice(prices) if order.is_paid else "0.00")
    events.append(_event("completed", f"完工：{work}", moment, tech, cost=str(order.cost)))
