"""The state machine declared once (core.states): who may take a transition, from which states,
what a wrong state answers, and the buttons a page draws from it."""

from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied

from courtyard.core.exceptions import StateConflict
from courtyard.core.states import StateMachine, Transition


class Ticket:
    """A stand-in model: only its ``_meta`` names the permissions."""

    _meta = SimpleNamespace(app_label="desk", model_name="ticket")

    def __init__(self, status, **facts):
        self.status = status
        self.__dict__.update(facts)


def staff(*permissions):
    return SimpleNamespace(
        is_authenticated=True, is_resident=False, has_perm=lambda name: name in permissions
    )


RESIDENT = SimpleNamespace(is_authenticated=True, is_resident=True, has_perm=lambda name: False)
ANONYMOUS = SimpleNamespace(is_authenticated=False, is_resident=False, has_perm=lambda n: False)


def _not_locked(user, ticket):
    return not getattr(ticket, "locked", False)


def _own(user, ticket):
    if ticket.owner is not user:
        raise PermissionDenied("not yours")
    return True


TICKET = StateMachine(
    Ticket,
    [
        Transition("open", ["new"], "open", "open", code="not_new"),
        Transition(
            "close",
            ["open"],
            "closed",
            "close",
            code="not_open",
            message="Only an open ticket can be closed.",
            refusals={"closed": ("Already closed.", "already_closed"), "new": "Open it first."},
            guard=_not_locked,
        ),
        Transition("take", ["open"], None, "close", code="not_open", guard=_own),
        Transition("thank", ["closed"], None, portal=True, code="not_closed"),
        Transition("archive", ["closed"], "archived"),
    ],
    message=lambda ticket: f"Ticket is {ticket.status}.",
)


def test_a_transition_needs_its_permission():
    TICKET.check(staff("desk.open_ticket"), Ticket("new"), "open")
    with pytest.raises(PermissionDenied):
        TICKET.check(staff("desk.close_ticket"), Ticket("new"), "open")
    assert TICKET.permission("open") == "desk.open_ticket"


def test_a_wrong_state_is_a_conflict_with_the_transitions_code():
    with pytest.raises(StateConflict) as conflict:
        TICKET.check(staff("desk.open_ticket"), Ticket("open"), "open")
    assert conflict.value.code == "not_new"
    assert str(conflict.value.message) == "Ticket is open."  # the machine's wording


def test_the_permission_is_checked_before_the_state():
    with pytest.raises(PermissionDenied):
        TICKET.check(staff(), Ticket("closed"), "open")


def test_a_state_may_have_its_own_refusal():
    clerk = staff("desk.close_ticket")
    with pytest.raises(StateConflict) as closed:
        TICKET.check(clerk, Ticket("closed"), "close")
    assert (closed.value.code, str(closed.value.message)) == ("already_closed", "Already closed.")
    with pytest.raises(StateConflict) as new:
        TICKET.check(clerk, Ticket("new"), "close")
    assert (new.value.code, str(new.value.message)) == ("not_open", "Open it first.")
    with pytest.raises(StateConflict) as archived:
        TICKET.check(clerk, Ticket("archived"), "close")
    assert str(archived.value.message) == "Only an open ticket can be closed."


def test_a_failing_guard_refuses_as_a_wrong_state_or_with_its_own_refusal():
    clerk = staff("desk.close_ticket")
    with pytest.raises(StateConflict) as locked:
        TICKET.check(clerk, Ticket("open", locked=True), "close")
    assert locked.value.code == "not_open"
    with pytest.raises(PermissionDenied, match="not yours"):
        TICKET.check(clerk, Ticket("open", owner=staff()), "take")
    TICKET.check(clerk, Ticket("open", owner=clerk), "take")


def test_residents_take_only_the_portals_transitions():
    TICKET.check(RESIDENT, Ticket("closed"), "thank")
    with pytest.raises(PermissionDenied):
        TICKET.check(RESIDENT, Ticket("new"), "open")
    with pytest.raises(PermissionDenied):
        TICKET.check(staff("desk.open_ticket", "desk.close_ticket"), Ticket("closed"), "thank")
    assert not TICKET.may(ANONYMOUS, "thank")


def test_a_transition_without_permission_is_nobodys_by_hand():
    assert not TICKET.may(staff("desk.archive_ticket"), "archive")
    assert TICKET.state_allows(Ticket("closed"), "archive")
    TICKET.check_state(Ticket("closed"), "archive")  # what a task or an engine asks


def test_move_sets_the_target_state():
    ticket = Ticket("new")
    TICKET.move(ticket, "open")
    assert ticket.status == "open"
    with pytest.raises(ValueError):
        TICKET.move(ticket, "take")


def test_buttons_show_what_a_user_may_take_now():
    clerk = staff("desk.open_ticket", "desk.close_ticket")
    ticket = Ticket("open", owner=clerk)
    assert TICKET.buttons(clerk, ticket) == {
        "open": False,
        "close": True,
        "take": True,
    }
    assert TICKET.buttons(RESIDENT, Ticket("closed")) == {"thank": True}
    assert TICKET.buttons(clerk, ticket, ["close"]) == {"close": True}
    assert [t.name for t in TICKET.allowed(clerk, ticket)] == ["close", "take"]


def test_a_name_is_declared_once():
    with pytest.raises(ValueError):
        StateMachine(Ticket, [Transition("open", ["new"]), Transition("open", ["open"])])
