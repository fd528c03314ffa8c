"""State machines declared once: a record's transitions — the states each leaves from, the
state it leads to, the permission it needs and whether a resident takes it from the portal —
in one table per module that the services check, the staff pages draw their buttons from and
the portal reads::

    WORK_ORDER = StateMachine(WorkOrder, [
        Transition("accept", [S.SUBMITTED], S.ACCEPTED, "accept", code="not_submitted"),
        Transition("confirm", [S.COMPLETED], S.CLOSED, portal=True, code="not_completed"),
    ])

    WORK_ORDER.check(user, order, "accept")  # PermissionDenied (403), StateConflict (409)
    WORK_ORDER.move(order, "accept")         # order.status = "accepted"
    WORK_ORDER.buttons(user, order)          # {"accept": True}; a resident's: {"confirm": …}

A service that locks the record asks for the permission before it reads the row
(``require``) and for the state after locking (``check_state``); ``check`` does both.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied

from .exceptions import StateConflict
from .scoping import permission_name


@dataclass(frozen=True)
class Transition:
    """One action on a record: from ``sources`` to ``target`` (None: the state stays, as for
    a follow-up or a rating).

    ``permission`` is the model action a staff user needs (``accept`` →
    ``repairs.accept_workorder``); None when no staff user takes it by hand (the approval
    engine or a task does). ``portal``: a resident takes it from the portal, on a record of
    their own. From a state outside ``sources`` it is refused with ``code`` and ``message``
    (the machine's message when None), or with what ``refusals`` says for that state: a
    message, or a (message, code) pair. ``guard(user, obj)`` looks at the record's other
    facts: False refuses as a wrong state would; it may raise a refusal of its own.
    """

    name: str
    sources: tuple
    target: str | None = None
    permission: str | None = None
    portal: bool = False
    code: str = "state_conflict"
    message: object = None
    refusals: dict = field(default_factory=dict)
    guard: Callable | None = None

    def __post_init__(self):
        object.__setattr__(self, "sources", tuple(self.sources))


class StateMachine:
    """The transitions of one model, by name, over its ``status`` field (or ``state_field``).

    ``message`` is the refusal of a wrong state when a transition names none: a text, or a
    function of the record that words it.
    """

    def __init__(self, model, transitions, *, message=None, state_field="status"):
        self.model = model
        self.message = message
        self.state_field = state_field
        self.transitions = {}
        for transition in transitions:
            if transition.name in self.transitions:
                raise ValueError(f"{model.__name__}: transition {transition.name!r} twice")
            self.transitions[transition.name] = transition

    def __getitem__(self, name):
        return self.transitions[name]

    def __iter__(self):
        return iter(self.transitions.values())

    def permission(self, name):
        """The full permission of a staff transition (``repairs.accept_workorder``), or None."""
        action = self[name].permission
        return permission_name(self.model, action) if action else None

    def may(self, user, name):
        """Whether ``user`` may take the transition at all, whatever the record's state: a
        resident those of the portal, a staff user those their permissions allow."""
        transition = self[name]
        if not user.is_authenticated:
            return False
        if getattr(user, "is_resident", False):
            return transition.portal
        return transition.permission is not None and user.has_perm(self.permission(name))

    def require(self, user, name):
        if not self.may(user, name):
            raise PermissionDenied

    def state_allows(self, obj, name):
        return getattr(obj, self.state_field) in self[name].sources

    def refusal(self, obj, name):
        """The StateConflict that refuses the transition from the record's state, or None."""
        transition = self[name]
        state = getattr(obj, self.state_field)
        if state in transition.sources:
            return None
        refusal = transition.refusals.get(state)
        if refusal is None:
            return self._conflict(obj, transition)
        message, code = refusal if isinstance(refusal, tuple) else (refusal, transition.code)
        return StateConflict(message, code)

    def _conflict(self, obj, transition):
        message = transition.message if transition.message is not None else self.message
        return StateConflict(message(obj) if callable(message) else message, transition.code)

    def check_state(self, obj, name, user=None):
        """Raise StateConflict (409) unless the record's state, and its guard, allow it."""
        conflict = self.refusal(obj, name)
        if conflict is not None:
            raise conflict
        transition = self[name]
        if transition.guard is not None and not transition.guard(user, obj):
            raise self._conflict(obj, transition)

    def check(self, user, obj, name):
        """PermissionDenied (403) without the permission, StateConflict (409) from a state
        that does not allow it; nothing when ``user`` may take it now."""
        self.require(user, name)
        self.check_state(obj, name, user)

    def move(self, obj, name):
        """Put the record in the state the transition leads to (after ``check_state``)."""
        target = self[name].target
        if target is None:
            raise ValueError(f"{self.model.__name__}: {name!r} leaves the state as it is")
        setattr(obj, self.state_field, target)

    def allows(self, user, obj, name):
        try:
            self.check(user, obj, name)
        except (PermissionDenied, StateConflict):
            return False
        return True

    def allowed(self, user, obj):
        """The transitions ``user`` may take on the record now."""
        return [t for t in self if self.allows(user, obj, t.name)]

    def buttons(self, user, obj, names=None):
        """{name: whether allowed now} for a page's buttons: the transitions named, else
        every one this kind of user takes by hand (a resident's in the portal, staff's with
        a permission). The services decide again; this keeps impossible buttons off."""
        if names is None:
            resident = getattr(user, "is_resident", False)
            names = [t.name for t in self if (t.portal if resident else t.permission)]
        return {name: self.allows(user, obj, name) for name in names}
