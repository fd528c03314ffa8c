"""Staff pages of charge items (计费项目), their rates by estate (费用标准, 水电单价) and
parking spaces (车位).

Items and default rates hold for every estate: their edit buttons show only to users whose
scope covers all estates (the services refuse others). An estate's own rates are set on the
fee standards page of that estate.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from courtyard.core import versions
from courtyard.core.access import AccessMixin, access, acts_on
from courtyard.core.estate_model import estates_for
from courtyard.core.exceptions import StateConflict
from courtyard.core.generic import (
    CompanyWideFormMixin,
    CompanyWideMixin,
    ObjectDeleteView,
    ObjectDetailView,
    ObjectEditView,
    ObjectExportView,
    ObjectHistoryView,
    ObjectListView,
    apply_service_errors,
)
from courtyard.core.modules import NavItem

from ..models import ChargeItem, ChargeRate, ParkingSpace
from . import jobs as items_jobs  # noqa: F401  (registers the export job)
from . import selectors, services
from .filters import ChargeItemFilterSet, ParkingSpaceFilterSet
from .forms import ChargeItemForm, ChargeRateForm, ParkingSpaceForm
from .tables import ChargeItemTable, ParkingSpaceTable

ITEMS = ChargeItem.objects.all()
SPACES = ParkingSpace.objects.select_related(*selectors.PARKING_RELATED)


# Charge items -------------------------------------------------------------------------------


class ChargeItemListView(CompanyWideMixin, ObjectListView):
    queryset = ITEMS
    filterset_class = ChargeItemFilterSet
    table_class = ChargeItemTable
    template_name = "billing/items_list.html"

    def restricted(self, action=None):
        return selectors.items_with_default_rates(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["rates_url"] = (
            reverse("billing:chargerate_list")
            if self.request.user.has_perm("billing.view_chargerate")
            else None
        )
        return context


class ChargeItemDetailView(CompanyWideMixin, ObjectDetailView):
    queryset = ITEMS
    template_name = "billing/items_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, item = self.request.user, context["object"]
        rates = selectors.rates_of(user, item) if user.has_perm("billing.view_chargerate") else []
        for rate in rates:
            rate.may_edit = selectors.may_edit_rates(user, rate.estate)
        context.update(
            rates=rates,
            rate_unit=selectors.rate_unit(item),
            may_add_rate=user.has_perm("billing.add_chargerate"),
        )
        return context

    def detail_fields(self, obj):
        # The uses as words, not the stored list.
        applies_to = ChargeItem._meta.get_field("applies_to").verbose_name
        return [
            (label, selectors.applies_to_text(obj) if label == applies_to else value)
            for label, value in super().detail_fields(obj)
        ]


class ChargeItemHistoryView(ObjectHistoryView):
    queryset = ITEMS


class ChargeItemEditView(CompanyWideFormMixin, ObjectEditView):
    queryset = ITEMS
    form_class = ChargeItemForm
    create_service = services.create_charge_item
    update_service = services.update_charge_item


class ChargeItemDeleteView(CompanyWideFormMixin, ObjectDeleteView):
    queryset = ITEMS
    delete_service = services.delete_charge_item


# Rates (fee standards) ----------------------------------------------------------------------


def _next_url(request, fallback):
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return target
    return fallback


class RateTableView(AccessMixin, TemplateView):
    """费用标准 / 水电单价 of one estate: each item's default rate and the estate's own."""

    access = "billing.view_chargerate"
    template_name = "billing/items_rates.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        estates = estates_for(user)
        chosen = self.request.GET.get("estate") or self.request.session.get("estate_id")
        estate = None
        if chosen:
            estate = estates.filter(pk=chosen).first() if str(chosen).isdigit() else None
            if estate is None:
                raise Http404
        estate = estate or estates.first()
        context = super().get_context_data(**kwargs)
        context.update(
            estates=estates,
            estate=estate,
            table=selectors.rate_table(user, estate) if estate else None,
            may_edit_own=estate is not None and selectors.may_edit_rates(user, estate),
            may_edit_default=selectors.may_edit_rates(user, None),
            may_add=user.has_perm("billing.add_chargerate"),
            may_change=user.has_perm("billing.change_chargerate"),
            may_delete=user.has_perm("billing.delete_chargerate"),
        )
        return context


@acts_on(ChargeRate)
class RateEditView(AccessMixin, TemplateView):
    """Add a rate (``?item=&estate=&use=``) or change one's figures."""

    template_name = "billing/items_rate_form.html"
    access = "billing.add_chargerate"  # changing an existing rate: change_chargerate

    def get_access(self):
        return "billing.change_chargerate" if "pk" in self.kwargs else "billing.add_chargerate"

    def setup_objects(self):
        user = self.request.user
        if "pk" in self.kwargs:
            rate = selectors.visible_rates(user, "change").filter(pk=self.kwargs["pk"]).first()
            if rate is None:
                raise Http404
            services.check_rate_scope(user, rate.estate)  # a default rate: all-estates users
            return rate.item, rate
        # The form posts back to its own address, query string included.
        item_id = self.request.GET.get("item")
        item = ITEMS.filter(pk=item_id).first() if str(item_id or "").isdigit() else None
        if item is None:
            raise Http404
        return item, None

    def make_form(self, item, rate, data=None):
        get = self.request.GET
        initial = {}
        if rate is None:
            initial = {"estate": get.get("estate") or None, "unit_use": get.get("use", "")}
        form = ChargeRateForm(
            data, user=self.request.user, item=item, instance=rate, initial=initial
        )
        return versions.add_version_field(form, rate)

    def respond(self, form, item, rate, status=200):
        context = self.get_context_data(
            form=form,
            item=item,
            rate=rate,
            next=_next_url(self.request, ""),
            cancel_url=_next_url(self.request, item.get_absolute_url()),
        )
        return self.render_to_response(context, status=status)

    def get(self, request, *args, **kwargs):
        item, rate = self.setup_objects()
        return self.respond(self.make_form(item, rate), item, rate)

    def post(self, request, *args, **kwargs):
        item, rate = self.setup_objects()
        form = self.make_form(item, rate, request.POST)
        if form.is_valid():
            versions.apply_form_version(rate, form.cleaned_data)
            try:
                if rate is None:
                    services.create_rate(request.user, **form.service_kwargs())
                else:
                    services.update_rate(request.user, rate, **form.service_kwargs())
            except ValidationError as error:
                apply_service_errors(form, error)
            except versions.StaleVersion as error:
                versions.keep_typed_after_stale(form, rate, error)
            else:
                messages.success(request, _("Rate saved."))
                return redirect(_next_url(request, item.get_absolute_url()))
        return self.respond(form, item, rate, status=400)


@acts_on(ChargeRate)
class RateDeleteView(AccessMixin, TemplateView):
    """Remove an estate's own rate (its units then pay the default)."""

    access = "billing.delete_chargerate"
    template_name = "billing/items_rate_delete.html"

    def get_rate(self):
        user = self.request.user
        rate = selectors.visible_rates(user, "delete").filter(pk=self.kwargs["pk"]).first()
        if rate is None:
            raise Http404
        services.check_rate_scope(user, rate.estate)
        return rate

    def get_context_data(self, **kwargs):
        rate = self.get_rate()
        context = super().get_context_data(**kwargs)
        context.update(
            rate=rate,
            use_text=selectors.use_label(rate.item, rate.unit_use),
            figure=selectors.figure(rate.rate),
            next=_next_url(self.request, ""),
            cancel_url=_next_url(self.request, rate.item.get_absolute_url()),
        )
        return context

    def post(self, request, *args, **kwargs):
        rate = self.get_rate()
        try:
            services.delete_rate(request.user, rate)
        except (ValidationError, StateConflict) as error:
            text = error.message if isinstance(error, StateConflict) else " ".join(error.messages)
            messages.error(request, text)
        else:
            messages.success(request, _("Rate removed."))
        return redirect(_next_url(request, rate.item.get_absolute_url()))


# Parking spaces -----------------------------------------------------------------------------


class ParkingSpaceListView(ObjectListView):
    queryset = SPACES
    filterset_class = ParkingSpaceFilterSet
    table_class = ParkingSpaceTable
    export_job = "billing.export_parking_spaces"


class ParkingSpaceDetailView(ObjectDetailView):
    queryset = SPACES


class ParkingSpaceHistoryView(ObjectHistoryView):
    queryset = SPACES


class ParkingSpaceEditView(ObjectEditView):
    queryset = SPACES
    form_class = ParkingSpaceForm
    template_name = "billing/parking_form.html"
    create_service = services.create_parking_space
    update_service = services.update_parking_space

    def prefill(self, obj):
        if obj is None and "estate" not in self.request.GET:
            estate = self.request.session.get("estate_id")
            return {"estate": estate} if estate else {}
        return super().prefill(obj)

    prefill_fields = ("estate", "unit")


class ParkingSpaceDeleteView(ObjectDeleteView):
    queryset = SPACES
    delete_service = services.delete_parking_space


class ParkingSpaceExportView(ObjectExportView):
    queryset = SPACES
    filterset_class = ParkingSpaceFilterSet
    table_class = ParkingSpaceTable
    export_job = "billing.export_parking_spaces"


PICKER_ORDER = ("estate", "building", "entrance", "unit", "resident", "vehicle")


@access("billing.view_parkingspace")
def parking_picker(request):
    """The place and people selects of the parking space form, reloaded on a change (htmx):
    a changed select clears the ones after it."""
    values = request.GET.dict()
    for index, name in enumerate(PICKER_ORDER):
        if values.get(name, "") != values.get(f"prev_{name}", ""):
            for later in PICKER_ORDER[index + 1 :]:
                values.pop(later, None)
            break
    form = ParkingSpaceForm(user=request.user, initial=values)
    return render(request, "billing/parking_picker.html", {"form": form})


def crud(prefix, name, list_view, detail, history, edit, delete):
    return [
        path(f"{prefix}", list_view.as_view(), name=f"{name}_list"),
        path(f"{prefix}add/", edit.as_view(), name=f"{name}_add"),
        path(f"{prefix}<int:pk>/", detail.as_view(), name=f"{name}_detail"),
        path(f"{prefix}<int:pk>/edit/", edit.as_view(), name=f"{name}_edit"),
        path(f"{prefix}<int:pk>/delete/", delete.as_view(), name=f"{name}_delete"),
        path(f"{prefix}<int:pk>/history/", history.as_view(), name=f"{name}_history"),
    ]


urlpatterns = [
    *crud(
        "items/",
        "chargeitem",
        ChargeItemListView,
        ChargeItemDetailView,
        ChargeItemHistoryView,
        ChargeItemEditView,
        ChargeItemDeleteView,
    ),
    path("rates/", RateTableView.as_view(), name="chargerate_list"),
    path("rates/add/", RateEditView.as_view(), name="chargerate_add"),
    path("rates/<int:pk>/edit/", RateEditView.as_view(), name="chargerate_edit"),
    path("rates/<int:pk>/delete/", RateDeleteView.as_view(), name="chargerate_delete"),
    path("parking/export/", ParkingSpaceExportView.as_view(), name="parkingspace_export"),
    path("parking/picker/", parking_picker, name="parkingspace_picker"),
    *crud(
        "parking/",
        "parkingspace",
        ParkingSpaceListView,
        ParkingSpaceDetailView,
        ParkingSpaceHistoryView,
        ParkingSpaceEditView,
        ParkingSpaceDeleteView,
    ),
]

NAV = [
    NavItem(gettext_lazy("Charge items"), "billing:chargeitem_list", "billing.view_chargeitem"),
    NavItem(gettext_lazy("Fee standards"), "billing:chargerate_list", "billing.view_chargerate"),
    NavItem(
        gettext_lazy("Parking spaces"), "billing:parkingspace_list", "billing.view_parkingspace"
    ),
]
