"""The reporting console: removal orders with deadline badges, complaints, reports.

* ``/provider/console/reporting/``: removal orders (a live countdown, an ``alert`` badge 4
  hours before the 24-hour deadline, ``OVERDUE`` after it) with a form to record the
  execution or the reasons it is impossible (supervisors, admins: the answer goes back to
  the centre through the outbox); the complaints queue with a decision form (supervisors:
  upheld reinstates the content, rejected keeps the decision; reasons for the user); the
  reports and the centre's status (supervisors, admins, auditors read everything). The
  forms post to the provider API with ``reporting.js`` (CSRF token, Idempotency-Key), so
  the roles, checks and audit entries are the API's own.
* ``/provider/console/reporting/cases/{id}``: one case's report and the centre's answer.
  The same section (``provider/_report_section.html``) can be included in any page given
  ``report`` from :func:`childshield.provider.reports.case_report_section`.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse

from childshield import audit
from childshield.api.auth import require, tenant_scope
from childshield.api.schemas import ObjectId
from childshield.auth.principal import Principal
from childshield.errors import NotFoundError
from childshield.provider.complaints import complaint_view, complaints_of_case
from childshield.provider.orders import ALERT_BEFORE, order_view
from childshield.provider.reports import case_report_section, report_view
from childshield.store import provider_reports as repo
from childshield.store.models.provider import ProviderCase
from childshield.store.models.provider_reports import ProviderReport
from childshield.store.tenancy import TenantScope
from childshield.web.templating import register_nav, render

router = APIRouter(prefix="/reporting", include_in_schema=False)
ROLES = ("reviewer", "supervisor", "admin", "auditor")
ORDER_ANSWERERS = {"supervisor", "admin"}
"""Console roles that may answer removal orders (the API also lets the integration)."""
COMPLAINT_DECIDERS = {"supervisor"}

register_nav("provider", "Reports & orders", "/provider/console/reporting/",
             roles={"supervisor", "admin", "auditor"})


@router.get("/")
def overview(request: Request, scope: TenantScope = tenant_scope,
             caller: Principal = require("supervisor", "admin", "auditor")) -> HTMLResponse:
    orders = [order_view(o) for o in repo.removal_orders(scope.session, scope.tenant_id, None)]
    orders.sort(key=lambda o: (o["status"] != "pending", o["deadline"]))
    reports = scope.scalars(scope.select(ProviderReport).order_by(ProviderReport.id.desc())
                            .limit(100))
    audit.record(scope.session, caller, "report.list", "report", None,
                 details={"console": True})
    waiting = [complaint_view(c) for c in
               repo.complaints(scope.session, scope.tenant_id, "open", 100)]
    deciders = {case.id: case.decided_by for case in scope.scalars(scope.select(
        ProviderCase).where(ProviderCase.id.in_({c["case_id"] for c in waiting})))}
    for complaint in waiting:  # the decision's own author may not judge the complaint
        complaint["own_decision"] = deciders.get(complaint["case_id"]) == caller.label
    decided = [complaint_view(c)
               for c in repo.decided_complaints(scope.session, scope.tenant_id, 20)]
    return render(request, "provider/reporting.html", {
        "orders": orders,
        "alert_before": int(ALERT_BEFORE.total_seconds()),
        "complaints": waiting,
        "decided": decided,
        "reports": [report_view(scope.session, r) for r in reports],
        "can_answer_orders": caller.has_any(ORDER_ANSWERERS),
        "can_decide_complaints": caller.has_any(COMPLAINT_DECIDERS),
    }, principal=caller)


@router.get("/cases/{case_id}")
def case_report(request: Request, case_id: ObjectId, scope: TenantScope = tenant_scope,
                caller: Principal = require(*ROLES)) -> HTMLResponse:
    section = case_report_section(scope, case_id)
    if section is None:
        raise NotFoundError(f"case {case_id} has no report")
    audit.record(scope.session, caller, "report.view", "report", section["report_id"])
    return render(request, "provider/reporting_case.html",
                  {"report": section, "case_id": case_id,
                   "complaints": complaints_of_case(scope, case_id)}, principal=caller)
