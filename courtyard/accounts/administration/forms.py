"""Forms of the account administration pages; they shape input, the services decide."""

from django import forms
from django.contrib.auth.models import Permission
from django.contrib.auth.password_validation import password_validators_help_text_html
from django.utils.translation import gettext_lazy as _

from courtyard.core.forms import ScopedModelForm, StyledForm
from courtyard.core.scoping import user_scope

from .. import roles as role_defs
from .. import selectors
from ..choices import ScopeKind
from ..models import Department, Role, User

NO_SCOPE = "none"


CHECKBOXES = forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"})


class InitialPasswordMixin:
    """A new initial password typed twice; the policy itself is checked by the service."""

    def add_password_fields(self):
        self.fields["password"] = forms.CharField(
            label=_("Initial password"),
            strip=False,
            widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
            help_text=password_validators_help_text_html(),
        )
        self.fields["password_confirm"] = forms.CharField(
            label=_("Repeat the password"),
            strip=False,
            widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        )

    def clean_password_pair(self, cleaned_data):
        password, confirm = cleaned_data.get("password"), cleaned_data.pop("password_confirm", None)
        if password and confirm and password != confirm:
            self.add_error("password_confirm", _("The two passwords differ."))
        return cleaned_data


class UserEditForm(ScopedModelForm):
    class Meta:
        model = User
        fields = ["full_name", "department", "position", "phone", "email", "require_two_factor"]


class UserCreateForm(InitialPasswordMixin, ScopedModelForm):
    roles = forms.ModelMultipleChoiceField(
        label=_("Roles"),
        queryset=Role.objects.select_related("group"),
        required=False,
        widget=CHECKBOXES,
    )

    class Meta:
        model = User
        fields = [
            "username",
            "full_name",
            "department",
            "position",
            "phone",
            "email",
            "require_two_factor",
        ]

    # The data scope is chosen with the account: a user without one sees empty lists.
    kind = forms.ChoiceField(
        label=_("Data scope"),
        choices=ScopeKind.choices,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        help_text=_("Which estates' records the user sees; you can grant only your own."),
    )
    estates = forms.ModelMultipleChoiceField(
        label=_("Estates"), queryset=None, required=False, widget=CHECKBOXES
    )
    buildings = forms.ModelMultipleChoiceField(
        label=_("Buildings"), queryset=None, required=False, widget=CHECKBOXES
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["full_name"].required = True
        self.add_password_fields()
        self.order_fields(["username", "full_name", "password", "password_confirm"])
        self.fields["estates"].queryset = selectors.grantable_estates(self.user)
        self.fields["buildings"].queryset = selectors.grantable_buildings(self.user)
        if not user_scope(self.user).all_estates:
            self.fields["kind"].choices = [
                choice for choice in ScopeKind.choices if choice[0] != ScopeKind.ALL
            ]
        self.style_fields()

    def clean(self):
        return self.clean_password_pair(super().clean())

    def service_kwargs(self):
        data = dict(self.cleaned_data)
        data["scope_kind"] = data.pop("kind")
        data["scope_estates"] = data.pop("estates")
        data["scope_buildings"] = data.pop("buildings")
        return data


class PasswordResetForm(InitialPasswordMixin, StyledForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_password_fields()
        self.fields["password"].label = _("New initial password")
        self.style_fields()

    def clean(self):
        return self.clean_password_pair(super().clean())


class UserRolesForm(StyledForm):
    roles = forms.ModelMultipleChoiceField(
        label=_("Roles"),
        queryset=Role.objects.select_related("group"),
        required=False,
        widget=CHECKBOXES,
    )


class UserScopeForm(StyledForm):
    kind = forms.ChoiceField(
        label=_("Data scope"),
        choices=[(NO_SCOPE, _("No estates (no data access)")), *ScopeKind.choices],
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    estates = forms.ModelMultipleChoiceField(
        label=_("Estates"), queryset=None, required=False, widget=CHECKBOXES
    )
    buildings = forms.ModelMultipleChoiceField(
        label=_("Buildings"), queryset=None, required=False, widget=CHECKBOXES
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["estates"].queryset = selectors.grantable_estates(actor)
        self.fields["buildings"].queryset = selectors.grantable_buildings(actor)

    def clean_kind(self):
        kind = self.cleaned_data["kind"]
        return None if kind == NO_SCOPE else kind

    @classmethod
    def initial_for(cls, user):
        grants = list(selectors.permanent_grants(user))
        if not grants:
            return {"kind": NO_SCOPE}
        kinds = {grant.kind for grant in grants}
        widest = (ScopeKind.ALL, ScopeKind.ESTATES, ScopeKind.BUILDINGS)
        kind = next(k for k in widest if k in kinds)
        return {
            "kind": kind,
            "estates": [e for g in grants for e in g.estates.all()],
            "buildings": [b for g in grants for b in g.buildings.all()],
        }


class RoleForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=150)
    name_en = forms.CharField(
        label=Role._meta.get_field("name_en").verbose_name,
        max_length=50,
        required=False,
        help_text=Role._meta.get_field("name_en").help_text,
    )
    description = forms.CharField(label=_("Description"), max_length=255, required=False)

    def __init__(self, data=None, files=None, *, instance=None, user=None, **kwargs):
        if instance is not None:
            # The edit view passes an initial of its own (empty for an existing record): the
            # role's values come first, or the page showed an empty name.
            kwargs["initial"] = {
                "name": instance.name,
                "name_en": instance.name_en,
                "description": instance.description,
                **(kwargs.get("initial") or {}),
            }
        super().__init__(data, files, **kwargs)
        if instance is not None and instance.is_builtin:
            self.fields["name"].disabled = True
            self.fields["name"].help_text = _("Built-in roles keep their name.")


class RolePermissionsForm(forms.Form):
    """The checked boxes of the permission matrix (rendered by the role page itself)."""

    permissions = forms.ModelMultipleChoiceField(queryset=Permission.objects.none(), required=False)

    def __init__(self, *args, matrix, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["permissions"].queryset = Permission.objects.filter(
            pk__in=[p.pk for p in role_defs.matrix_permissions(matrix)]
        ).select_related("content_type")


class DepartmentForm(ScopedModelForm):
    class Meta:
        model = Department
        fields = ["name", "description"]
