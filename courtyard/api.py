"""The API instance: /api/v1/ with every module's router."""

from courtyard.accounts.administration.api import router as accounts_admin_router
from courtyard.accounts.api import TokenAuth
from courtyard.accounts.api import router as accounts_router
from courtyard.billing.api import router as billing_router
from courtyard.core.api import CourtyardAPI, install_error_handlers
from courtyard.core.approvals.api import router as approvals_router
from courtyard.estates.api import router as estates_router
from courtyard.notices.api import router as notices_router
from courtyard.portal.api import router as portal_router
from courtyard.portal.bills.api import router as portal_bills_router
from courtyard.portal.notices.api import router as portal_notices_router
from courtyard.portal.repairs.api import router as portal_repairs_router
from courtyard.repairs.api import router as repairs_router
from courtyard.repairs.categories.api import router as repair_categories_router
from courtyard.repairs.statistics.api import router as repair_report_router
from courtyard.residents.api import router as residents_router
from courtyard.system.api import router as system_router

api = CourtyardAPI(
    title="Courtyard API",
    version="1",
    description="Property management: estates, residents, repairs, billing, notices, facilities.",
    urls_namespace="api",
    auth=TokenAuth(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)
install_error_handlers(api)
api.add_router("/", accounts_router)
api.add_router("/", accounts_admin_router)
api.add_router("/", estates_router)
api.add_router("/", residents_router)
api.add_router("/", repairs_router)
api.add_router("/", repair_categories_router)
api.add_router("/", portal_router)
api.add_router("/", approvals_router)
api.add_router("/", repair_report_router)
api.add_router("/", portal_repairs_router)
api.add_router("/", portal_bills_router)
api.add_router("/", billing_router)
api.add_router("/", system_router)
api.add_router("/", notices_router)
api.add_router("/", portal_notices_router)
