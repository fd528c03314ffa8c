"""Demo staff accounts: one per default role, password ``Courtyard#2026``.

These are the only accounts exempt from the first-sign-in password change; the README says
that demo data is for trying the product.
"""

from django.contrib.auth.models import Group
from django.db import transaction

from .choices import ScopeKind
from .models import Department, ScopeGrant, User

DEMO_PASSWORD = "Courtyard#2026"

# username, full name, role, department, position, phone, scope ("all" or estate codes)
DEMO_USERS = [
    ("admin", "王建国", "系统管理员", "综合管理部", "系统管理员", "13910000001", "all"),
    ("service", "李晓梅", "客服专员", "客服部", "客服专员", "13910000002", ("CHTD",)),
    ("finance", "张丽华", "财务人员", "财务部", "会计", "13910000003", "all"),
    ("supervisor", "陈志强", "运维主管", "工程部", "运维主管", "13910000004", "all"),
    ("tech1", "刘师傅", "维修人员", "工程部", "水电维修工", "13910000005", "all"),
    ("inspector1", "赵巡检", "巡检人员", "工程部", "巡检员", "13910000006", "all"),
]


@transaction.atomic
def seed_users(estates_by_code):
    """Create the demo accounts once (existing usernames are left as they are)."""
    created = []
    for username, full_name, role, department, position, phone, scope in DEMO_USERS:
        if User.objects.filter(username=username).exists():
            continue
        user = User.objects.create_user(
            username=username,
            password=DEMO_PASSWORD,
            full_name=full_name,
            department=Department.objects.get_or_create(name=department)[0],
            position=position,
            phone=phone,
            email=f"{username}@demo.courtyard.local",
            must_change_password=False,
            is_superuser=username == "admin",
        )
        user.groups.add(Group.objects.get(name=role))
        if scope == "all":
            ScopeGrant.objects.create(user=user, kind=ScopeKind.ALL)
        else:
            grant = ScopeGrant.objects.create(user=user, kind=ScopeKind.ESTATES)
            grant.estates.set([estates_by_code[code] for code in scope])
        created.append(user)
    return created
