"""Phone numbers: one policy for who sees them in full; everyone else sees 138****5678.

A user sees a phone in full when they hold ``residents.view_full_identity`` (named here as a
string: residents sits above core), or when the module that owns the record declares an
exception for that record, e.g. a technician and the open work orders assigned to them (they
must call), or a person and their own record::

    privacy.declare_phones(WorkOrder, "contact_phone", full_to=assigned_and_open)

Pages show phones with ``{% shown_phone record "field" %}``, Ninja schemas with
``resolve_field = privacy.phone_resolver("field")``, tables, exports and message lists with
``shown_phone``, change histories by the declared fields; nothing else decides.
"""

FULL_IDENTITY = "residents.view_full_identity"

_fields = {}  # model → the names of its personal phone fields
_rules = {}  # model → full_to(user, record) → bool


def mask_phone(phone):
    """138****5678: the first 3 and the last 4 digits."""
    phone = str(phone or "")
    if len(phone) < 7:
        return phone
    return f"{phone[:3]}****{phone[-4:]}"


def declare_phones(model, *fields, full_to=None):
    """Declare the personal phone fields of ``model`` (its change history masks them too) and
    ``full_to(user, record)``: who sees them in full without the full-identity permission.
    The rule reads only the record's own fields: lists ask it once per row."""
    _fields[model] = fields
    if full_to is not None:
        _rules[model] = full_to


def phone_fields(model):
    return _fields.get(model, ())


def sees_full_phone(user, record=None):
    """Whether ``user`` sees the phones of ``record`` (or of anyone, without one) in full."""
    if user is None or not user.is_authenticated:
        return False
    # Residents hold no staff permission: their portal pages need not load any.
    if not user.is_resident and user.has_perm(FULL_IDENTITY):  # cached after the first
        return True
    rule = _rules.get(type(record)) if record is not None else None
    return bool(rule and rule(user, record))


def shown_phone(user, phone, record=None):
    """``phone`` (a phone of ``record``) as ``user`` may see it: in full or masked."""
    if not phone:
        return phone or ""
    return phone if sees_full_phone(user, record) else mask_phone(phone)


def phone_resolver(path):
    """A Ninja resolver of a phone field under the policy: ``"contact_phone"`` is the
    object's own, ``"resident.phone"`` a related record's (which the rules then judge)."""
    *parents, name = path.split(".")

    def resolve(obj, context):
        record = obj
        for parent in parents:
            record = getattr(record, parent, None)
            if record is None:
                return ""
        request = context.get("request") if context else None
        return shown_phone(getattr(request, "user", None), getattr(record, name), record)

    return staticmethod(resolve)
