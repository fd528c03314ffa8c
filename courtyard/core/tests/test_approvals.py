"""The approval engine's rules, at the service layer (core.approvals)."""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError

from courtyard.core.approvals import services as approvals
from courtyard.core.exceptions import StateConflict
from courtyard.core.models import ApprovalDecision, ApprovalRequest, Message, TimelineEvent
from courtyard.core.timeline import events_for
from tests.factories import EstateFactory, UnitFactory, make_user

KIND = "tests.unit_check"
effects = []


def _approved(request, actor):
    effects.append(("approved", request.pk, actor.username))


def _rejected(request, actor, reason):
    effects.append(("rejected", request.pk, actor.username, reason))


@pytest.fixture(autouse=True)
def test_kind():
    effects.clear()
    kind = approvals.register_kind(
        KIND, label="Unit check", on_approved=_approved, on_rejected=_rejected
    )
    yield kind
    approvals._KINDS.pop(KIND, None)


@pytest.fixture
def world(db, admin_user):
    """An estate with a unit, two approver roles with one member each, and a submitter."""
    estate = EstateFactory()
    first, second = Group.objects.create(name="Manager"), Group.objects.create(name="Director")
    approver1 = make_user("approver1", estates=[estate])
    approver1.groups.add(first)
    approver2 = make_user("approver2", estates=[estate])
    approver2.groups.add(second)
    return {
        "estate": estate,
        "unit": UnitFactory(entrance__building__estate=estate),
        "first": first,
        "second": second,
        "approver1": approver1,
        "approver2": approver2,
        "submitter": make_user("clerk", estates=[estate]),
        "admin": admin_user,
    }


def configure(world, *roles, estate=None):
    return approvals.set_flow_levels(world["admin"], KIND, estate, list(roles))


def submit(world, title="Room check"):
    unit = world["unit"]
    return approvals.submit(
        world["submitter"], unit, kind=KIND, estate_id=unit.estate_id, title=title
    )


def app_messages_to(user):
    return Message.objects.filter(recipient_user=user, channel="app")


# Submitting ---------------------------------------------------------------------------------


def test_without_levels_the_request_is_approved_at_once(world):
    request = submit(world)
    assert request.status == "approved"
    assert request.decided_at is not None
    assert effects == [("approved", request.pk, "clerk")]
    verbs = [event.verb for event in events_for(world["unit"])]
    assert verbs == ["approval_approved", "approval_submitted"]


def test_a_flow_with_zero_levels_also_approves_at_once(world):
    configure(world)
    assert submit(world).status == "approved"


def test_submitting_notifies_the_approvers_of_level_one(world):
    configure(world, world["first"], world["second"])
    request = submit(world)
    assert request.status == "pending"
    assert request.current_level == 1
    assert effects == []
    assert app_messages_to(world["approver1"]).count() == 1
    assert app_messages_to(world["approver2"]).count() == 0
    message = app_messages_to(world["approver1"]).get()
    assert "Room check" in message.body
    assert f"/approvals/{request.pk}/" in message.body


def test_unregistered_kind_is_a_programming_error(world):
    with pytest.raises(ValueError):
        approvals.submit(world["submitter"], world["unit"], kind="nope", estate_id=1, title="x")


def test_an_estate_flow_wins_over_the_default(world):
    configure(world, world["first"], world["second"])
    configure(world, world["second"], estate=world["estate"])
    request = submit(world)
    assert [level["role"] for level in request.levels] == [world["second"].pk]


def test_the_default_flow_applies_to_estates_without_their_own(world):
    configure(world, world["first"])
    configure(world, world["second"], estate=EstateFactory())
    assert [level["role"] for level in submit(world).levels] == [world["first"].pk]


# Deciding -----------------------------------------------------------------------------------


def test_one_level_approval_takes_effect_and_tells_the_submitter(world):
    configure(world, world["first"])
    request = submit(world)
    approvals.approve(world["approver1"], request, "Looks fine")
    assert request.status == "approved"
    assert effects == [("approved", request.pk, "approver1")]
    decision = ApprovalDecision.objects.get(request=request)
    assert (decision.level, decision.decision, decision.comment) == (1, "approve", "Looks fine")
    told = app_messages_to(world["submitter"]).get()
    assert "approved" in told.body


def test_two_levels_with_different_roles(world):
    configure(world, world["first"], world["second"])
    request = submit(world)
    approvals.approve(world["approver1"], request)
    assert (request.status, request.current_level) == ("pending", 2)
    assert effects == []
    assert app_messages_to(world["approver2"]).count() == 1
    assert app_messages_to(world["submitter"]).count() == 0
    with pytest.raises(PermissionDenied):
        approvals.approve(world["approver1"], request)  # level 2 needs the second role
    approvals.approve(world["approver2"], request)
    assert request.status == "approved"
    assert effects == [("approved", request.pk, "approver2")]
    messages = [e.message for e in events_for(world["unit"])]
    assert messages[0] == "Approved — in effect"
    assert "Approved at level 2 of 2 by Approver2" in messages
    assert "Approved at level 1 of 2 by Approver1" in messages


def test_an_approver_without_the_role_is_refused(world):
    configure(world, world["first"])
    request = submit(world)
    with pytest.raises(PermissionDenied):
        approvals.approve(world["approver2"], request)
    assert ApprovalDecision.objects.count() == 0


def test_an_approver_outside_the_scope_is_refused(world):
    configure(world, world["first"])
    request = submit(world)
    outsider = make_user("outsider", estates=[EstateFactory()])
    outsider.groups.add(world["first"])
    with pytest.raises(PermissionDenied):
        approvals.approve(outsider, request)
    assert not approvals.awaiting(outsider).exists()
    assert not approvals.can_view(outsider, request)


def test_nobody_decides_their_own_submission_not_even_a_superuser(world):
    configure(world, world["first"])
    unit = world["unit"]
    request = approvals.submit(
        world["admin"], unit, kind=KIND, estate_id=unit.estate_id, title="Mine"
    )
    with pytest.raises(PermissionDenied):
        approvals.approve(world["admin"], request)
    world["submitter"].groups.add(world["first"])
    other = approvals.submit(
        world["submitter"],
        UnitFactory(entrance__building__estate=world["estate"]),
        kind=KIND,
        estate_id=unit.estate_id,
        title="Also mine",
    )
    with pytest.raises(PermissionDenied):
        approvals.reject(world["submitter"], other, "no")


def test_deciding_ones_own_request_has_its_own_code_and_reason(world):
    configure(world, world["first"])
    world["submitter"].groups.add(world["first"])
    request = submit(world)
    with pytest.raises(PermissionDenied) as refused:
        approvals.approve(world["submitter"], request)
    assert refused.value.code == "own_request"
    assert "nobody may decide their own request" in str(refused.value)


def test_the_refusal_says_why_someone_may_not_decide(world):
    configure(world, world["first"])
    request = submit(world)
    assert approvals.decision_refusal(world["approver1"], request) is None
    assert approvals.decision_refusal(world["submitter"], request).code == "own_request"
    refusal = approvals.decision_refusal(world["approver2"], request)
    assert refusal.code == "not_approver"
    assert "Level 1 is decided by the role “Manager”" in str(refusal)
    outsider = make_user("outsider", estates=[EstateFactory()])
    outsider.groups.add(world["first"])
    assert approvals.decision_refusal(outsider, request).code == "outside_scope"
    approvals.approve(world["approver1"], request)
    assert approvals.decision_refusal(world["approver1"], request).code == "not_pending"


def test_a_request_nobody_else_could_decide_is_not_submitted(world):
    """A new estate that only the administrator's scope covers, and the administrator submits:
    the approvers of the default flow work elsewhere."""
    configure(world, world["first"])
    new_estate = EstateFactory()
    unit = UnitFactory(entrance__building__estate=new_estate)
    admin = world["admin"]
    with pytest.raises(StateConflict) as refused:
        approvals.submit(admin, unit, kind=KIND, estate_id=new_estate.pk, title="Stuck")
    assert refused.value.code == "no_approver"
    assert "level 1 is decided by the role “Manager”" in str(refused.value.message)
    assert not ApprovalRequest.objects.exists()
    colleague = make_user("colleague", estates=[new_estate])
    colleague.groups.add(world["first"])
    request = approvals.submit(admin, unit, kind=KIND, estate_id=new_estate.pk, title="Ok")
    assert approvals.may_decide(colleague, request)


def test_a_superuser_counts_as_an_approver_of_every_level(world):
    new_estate = EstateFactory()
    founder = make_user("founder", estates=[new_estate])
    configure(world, world["first"])
    unit = UnitFactory(entrance__building__estate=new_estate)
    request = approvals.submit(founder, unit, kind=KIND, estate_id=new_estate.pk, title="Ok")
    assert approvals.may_decide(world["admin"], request)


def test_a_superuser_may_decide_any_level(world):
    configure(world, world["first"], world["second"])
    request = submit(world)
    approvals.approve(world["admin"], request)
    assert request.current_level == 2


def test_approving_twice_is_a_state_conflict(world):
    configure(world, world["first"])
    request = submit(world)
    stale = ApprovalRequest.objects.get(pk=request.pk)
    approvals.approve(world["approver1"], request)
    with pytest.raises(StateConflict) as caught:
        approvals.approve(world["approver1"], stale)
    assert caught.value.code == "not_pending"
    assert effects == [("approved", request.pk, "approver1")]


def test_a_level_already_decided_is_a_state_conflict(world):
    configure(world, world["first"], world["second"])
    world["approver2"].groups.add(world["first"])
    request = submit(world)
    stale = ApprovalRequest.objects.get(pk=request.pk)
    approvals.approve(world["approver1"], request)
    with pytest.raises(StateConflict) as caught:
        approvals.approve(world["approver2"], stale)  # saw level 1, which is decided
    assert caught.value.code == "level_decided"
    with pytest.raises(StateConflict):
        approvals.approve(world["approver2"], request, level=1)


def test_one_person_does_not_decide_two_levels(world):
    configure(world, world["first"], world["second"])
    world["approver1"].groups.add(world["second"])
    request = submit(world)
    approvals.approve(world["approver1"], request)
    assert not approvals.awaiting(world["approver1"]).exists()
    with pytest.raises(StateConflict) as caught:
        approvals.approve(world["approver1"], request)
    assert caught.value.code == "already_decided"


def test_rejecting_needs_a_reason(world):
    configure(world, world["first"])
    request = submit(world)
    with pytest.raises(ValidationError):
        approvals.reject(world["approver1"], request, "   ")
    assert ApprovalRequest.objects.get(pk=request.pk).status == "pending"


def test_rejecting_calls_on_rejected_and_tells_the_submitter_why(world):
    configure(world, world["first"], world["second"])
    request = submit(world)
    approvals.approve(world["approver1"], request)
    approvals.reject(world["approver2"], request, "Deed is missing")
    assert request.status == "rejected"
    assert effects == [("rejected", request.pk, "approver2", "Deed is missing")]
    told = app_messages_to(world["submitter"]).get()
    assert "Deed is missing" in told.body
    assert events_for(world["unit"]).first().message == (
        "Rejected at level 2 by Approver2: Deed is missing"
    )
    with pytest.raises(StateConflict):
        approvals.approve(world["approver2"], request)


def test_a_failing_on_approved_undoes_the_approval(world, test_kind):
    def refuse(request, actor):
        raise ValidationError("The unit already has an owner.")

    approvals.register_kind(KIND, label="Unit check", on_approved=refuse, on_rejected=_rejected)
    configure(world, world["first"])
    request = submit(world)
    with pytest.raises(ValidationError):
        approvals.approve(world["approver1"], request)
    request.refresh_from_db()
    assert request.status == "pending"
    assert ApprovalDecision.objects.count() == 0


# Resubmitting -------------------------------------------------------------------------------


def test_resubmitting_while_pending_is_refused(world):
    configure(world, world["first"])
    submit(world)
    with pytest.raises(StateConflict) as caught:
        submit(world, "Again")
    assert caught.value.code == "already_pending"
    assert ApprovalRequest.objects.count() == 1


def test_resubmitting_after_a_rejection_starts_again_at_level_one(world):
    configure(world, world["first"], world["second"])
    first = submit(world)
    approvals.approve(world["approver1"], first)
    approvals.reject(world["approver2"], first, "Wrong room")
    second = submit(world, "Room check, corrected")
    assert (second.status, second.current_level) == ("pending", 1)
    assert approvals.latest_request(world["unit"]) == second
    history = list(approvals.requests_for(world["unit"]))
    assert history == [second, first]
    assert [d.decision for d in history[1].decisions.all()] == ["approve", "reject"]


def test_the_level_snapshot_survives_a_configuration_change(world):
    configure(world, world["first"], world["second"])
    request = submit(world)
    configure(world, world["second"])
    third = Group.objects.create(name="Board")
    configure(world, third, estate=world["estate"])
    request.refresh_from_db()
    assert [level["role_name"] for level in request.levels] == ["Manager", "Director"]
    approvals.approve(world["approver1"], request)
    approvals.approve(world["approver2"], request)
    assert request.status == "approved"


# Reads and configuration --------------------------------------------------------------------


def test_awaiting_lists_the_current_level_of_my_role_in_my_scope(world, django_assert_num_queries):
    configure(world, world["first"], world["second"])
    request = submit(world)
    assert list(approvals.awaiting(world["approver1"])) == [request]
    assert list(approvals.awaiting(world["approver2"])) == []
    assert list(approvals.awaiting(world["submitter"])) == []
    approvals.approve(world["approver1"], request)
    assert list(approvals.awaiting(world["approver1"])) == []
    assert list(approvals.awaiting(world["approver2"])) == [request]
    approver = world["approver2"]
    approvals.awaiting_count(approver)  # the scope is computed once per user
    with django_assert_num_queries(1):
        assert approvals.awaiting_count(approver) == 1


def test_every_decision_is_audited(world):
    from auditlog.models import LogEntry

    configure(world, world["first"])
    request = submit(world)
    approvals.approve(world["approver1"], request, "ok")
    decision = ApprovalDecision.objects.get()
    assert LogEntry.objects.get_for_object(decision).count() == 1
    assert LogEntry.objects.get_for_object(request).exists()


def test_setting_levels_needs_the_permission_and_the_scope(world):
    with pytest.raises(PermissionDenied):
        approvals.set_flow_levels(world["approver1"], KIND, None, [world["first"]])
    limited = make_user("limited", "core.change_approvalflow", estates=[world["estate"]])
    with pytest.raises(PermissionDenied):
        approvals.set_flow_levels(limited, KIND, None, [world["first"]])  # the default flow
    with pytest.raises(PermissionDenied):
        approvals.set_flow_levels(limited, KIND, EstateFactory(), [world["first"]])
    flow = approvals.set_flow_levels(limited, KIND, world["estate"], [world["first"]])
    assert [level.role for level in approvals.flow_levels(flow)] == [world["first"]]


def test_a_role_appears_once_per_flow(world):
    with pytest.raises(ValidationError):
        configure(world, world["first"], world["first"])


def test_an_estate_flow_can_be_removed_but_not_the_default(world):
    flow = configure(world, world["second"], estate=world["estate"])
    approvals.delete_flow(world["admin"], flow)
    default = configure(world, world["first"])
    with pytest.raises(StateConflict):
        approvals.delete_flow(world["admin"], default)
    assert [level["role"] for level in submit(world).levels] == [world["first"].pk]


def test_timeline_records_the_submission_on_the_subject(world):
    configure(world, world["first"])
    request = submit(world)
    event = TimelineEvent.objects.get(verb="approval_submitted")
    assert event.subject == world["unit"]
    assert event.data["request"] == request.pk
