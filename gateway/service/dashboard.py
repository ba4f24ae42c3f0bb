"""The web dashboard: server-rendered HTML (Jinja2 templates beside this module) with a little
JavaScript (`static/dashboard.js`: table filters, the apply confirmation); no build step.

    GET  /                         syncs: schedule, next run, last run and outcome; recent runs
    GET  /runs/{run_id}            a run's operations: filterable, before/after, outcome, verified
    GET  /syncs/{name}/drift       the drift of a sync: a table and a small chart
    POST /syncs/{name}/plan        make a plan preview -> /plans/{plan_id}
    GET  /plans/{plan_id}          the preview, with an apply button for operators
    POST /plans/{plan_id}/apply    apply it (operator) -> /runs/{run_id}
    GET  /login, POST /login, POST /logout

Pages need a signed-in session (or a bearer header); see `gateway.service.auth`. The same
`GatewayService` answers the API, so a page shows what the API returns.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from balance_gateway import __version__
from balance_gateway.canonical import Unit
from balance_gateway.gateway.service.api import service_of, syncs_out
from balance_gateway.gateway.service.auth import (
    SESSION_COOKIE,
    SESSION_TTL,
    Caller,
    Sessions,
    dashboard_caller,
)
from balance_gateway.gateway.service.core import ServiceError
from balance_gateway.gateway.service.models import (
    PlanRowOut,
    SyncDriftOut,
    operation_out,
    row_out,
    run_out,
    sync_drift_out,
)
from balance_gateway.gateway.service.settings import Role

HERE = Path(__file__).resolve().parent
TEMPLATES = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)

# Upper edges of the drift chart's buckets of |difference|, per unit (the last is open).
BUCKETS: dict[Unit, tuple[Decimal, ...]] = {
    Unit.DAYS: tuple(Decimal(x) for x in ("0.5", "1", "2", "5", "10")),
    Unit.HOURS: tuple(Decimal(x) for x in ("1", "4", "8", "16", "40")),
    Unit.MINUTES: tuple(Decimal(x) for x in ("30", "60", "240", "480", "1200")),
}


def _amount(value: Decimal | None) -> str:
    return "-" if value is None else format(value, "f")


TEMPLATES.filters["amount"] = _amount


@dataclass(frozen=True)
class Bucket:
    label: str
    count: int


@dataclass(frozen=True)
class TypeChart:
    """One target leave type of a drift: how many balances differ, and by how much."""

    target_type: str
    unit: str
    compared: int
    differing: int
    unknown: int
    total: str
    largest: str
    buckets: list[Bucket]

    @property
    def equal(self) -> int:
        return self.compared - self.differing

    @property
    def most(self) -> int:
        return max([b.count for b in self.buckets] or [0]) or 1


def drift_charts(drift: SyncDriftOut) -> list[TypeChart]:
    """The chart data of a drift: per target type, counts and a histogram of |difference|."""
    charts = []
    for entry in drift.summary.by_type:
        edges = BUCKETS[entry.unit]
        counts = [0] * (len(edges) + 1)
        for row in drift.rows:
            if row.target_type != entry.target_type or row.difference is None:
                continue
            size = abs(row.difference.value)
            if size == 0:
                continue
            index = next((i for i, edge in enumerate(edges) if size <= edge), len(edges))
            counts[index] += 1
        # Each bar counts the differences above the previous edge, up to its own.
        labels = [f"≤{_amount(edge)}" for edge in edges] + [f">{_amount(edges[-1])}"]
        charts.append(
            TypeChart(
                target_type=entry.target_type,
                unit=entry.unit.value,
                compared=entry.compared,
                differing=entry.differing,
                unknown=entry.unknown,
                total=_amount(entry.total_abs_difference),
                largest=_amount(entry.largest_abs_difference),
                buckets=[Bucket(label, n) for label, n in zip(labels, counts, strict=True)],
            )
        )
    return charts


def _page(
    request: Request, name: str, caller: Caller | None, status: int = 200, **data: Any
) -> HTMLResponse:
    service = service_of(request)
    html = TEMPLATES.get_template(name).render(
        caller=caller,
        csrf=None if caller is None or caller.session is None else caller.session.csrf,
        is_operator=caller is not None and caller.may(Role.OPERATOR),
        version=__version__,
        config_path=str(service.config.path),
        **data,
    )
    return HTMLResponse(html, status_code=status)


def _error(request: Request, caller: Caller | None, error: ServiceError) -> HTMLResponse:
    return _page(
        request,
        "error.html",
        caller,
        status=error.status_code,
        message=error.message,
        details=error.details,
    )


def _to_login(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target)}", status_code=303)


def _safe_next(next_page: str | None) -> str:
    """Only a path on this site (never `//host` or a URL): no open redirect after login."""
    if next_page and next_page.startswith("/") and not next_page.startswith(("//", "/\\")):
        return next_page
    return "/"


def _caller(request: Request) -> Caller | None:
    service = service_of(request)
    sessions: Sessions = request.app.state.sessions
    return dashboard_caller(request, service.settings.tokens, sessions)


def _forbidden(request: Request, caller: Caller, what: str) -> HTMLResponse:
    return _page(
        request,
        "error.html",
        caller,
        status=403,
        message=f"{what} needs an operator token; you are signed in with a read token",
        details=[],
    )


def _bad_form(request: Request, caller: Caller) -> HTMLResponse:
    return _page(
        request,
        "error.html",
        caller,
        status=403,
        message="the form is out of date (its CSRF token does not match your session); "
        "reload the page and try again",
        details=[],
    )


def build_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/login")
    def login_page(request: Request, next: str | None = None) -> HTMLResponse:
        return _page(request, "login.html", None, next_page=_safe_next(next), failed=False)

    @router.post("/login", response_model=None)
    def login(
        request: Request,
        token: Annotated[str, Form(max_length=1000)] = "",
        next: Annotated[str, Form(max_length=2000)] = "/",
    ) -> Response:
        service = service_of(request)
        role = service.settings.tokens.role_of(token.strip())
        if role is None:
            return _page(
                request, "login.html", None, status=401, next_page=_safe_next(next), failed=True
            )
        sessions: Sessions = request.app.state.sessions
        session = sessions.create(role)
        response = RedirectResponse(_safe_next(next), status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            session.session_id,
            max_age=int(SESSION_TTL.total_seconds()),
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            path="/",
        )
        return response

    @router.post("/logout")
    def logout(request: Request) -> RedirectResponse:
        sessions: Sessions = request.app.state.sessions
        sessions.end(request.cookies.get(SESSION_COOKIE))
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @router.get("/", response_model=None)
    def index(request: Request) -> Response:
        caller = _caller(request)
        if caller is None:
            return _to_login(request)
        service = service_of(request)
        return _page(
            request,
            "index.html",
            caller,
            syncs=syncs_out(service),
            runs=[run_out(r) for r in service.runs(limit=15)],
            unresolved=Counter(op.system for op in service.unresolved()),
        )

    @router.get("/runs/{run_id}", response_model=None)
    def run_page(request: Request, run_id: str) -> Response:
        caller = _caller(request)
        if caller is None:
            return _to_login(request)
        service = service_of(request)
        try:
            record, ops = service.run(run_id)
        except ServiceError as exc:
            return _error(request, caller, exc)
        operations = [operation_out(op) for op in ops]
        return _page(
            request,
            "run.html",
            caller,
            run=run_out(record),
            operations=operations,
            kinds=sorted({op.operation.value for op in operations}),
            statuses=sorted({op.status.value for op in operations}),
        )

    @router.get("/syncs/{name}/drift", response_model=None)
    async def drift_page(request: Request, name: str) -> Response:
        caller = _caller(request)
        if caller is None:
            return _to_login(request)
        service = service_of(request)
        try:
            report = await service.drift(name)
        except ServiceError as exc:
            return _error(request, caller, exc)
        drift = sync_drift_out(report.plans[0], service.mapping)
        rows = [r for r in drift.rows if r.target_employee is not None]
        return _page(
            request,
            "drift.html",
            caller,
            drift=drift,
            rows=rows,
            other=len(drift.rows) - len(rows),
            charts=drift_charts(drift),
            operations=sorted({r.operation.value for r in drift.rows}),
        )

    @router.post("/syncs/{name}/plan", response_model=None)
    async def plan_action(
        request: Request, name: str, csrf: Annotated[str | None, Form(max_length=200)] = None
    ) -> Response:
        caller = _caller(request)
        if caller is None:
            return _to_login(request)
        if not caller.csrf_ok(csrf):
            return _bad_form(request, caller)
        service = service_of(request)
        try:
            stored = await service.plan(name)
        except ServiceError as exc:
            return _error(request, caller, exc)
        return RedirectResponse(f"/plans/{stored.plan_id}", status_code=303)

    @router.get("/plans/{plan_id}", response_model=None)
    def plan_page(request: Request, plan_id: str) -> Response:
        caller = _caller(request)
        if caller is None:
            return _to_login(request)
        service = service_of(request)
        try:
            stored = service.stored_plan(plan_id)
        except ServiceError as exc:
            return _error(request, caller, exc)
        rows: list[PlanRowOut] = [
            row_out(r, service.mapping) for p in stored.report.plans for r in p.rows
        ]
        writes = [r for r in rows if r.operation.value in ("set", "import", "credit", "reduce")]
        return _page(
            request,
            "plan.html",
            caller,
            plan=stored,
            sync=service.config.sync(stored.sync),
            writes=writes,
            others=Counter(r.operation.value for r in rows if r not in writes),
            summary=stored.report.summary,
        )

    @router.post("/plans/{plan_id}/apply", response_model=None)
    async def apply_action(
        request: Request, plan_id: str, csrf: Annotated[str | None, Form(max_length=200)] = None
    ) -> Response:
        caller = _caller(request)
        if caller is None:
            return _to_login(request)
        if not caller.csrf_ok(csrf):
            return _bad_form(request, caller)
        if not caller.may(Role.OPERATOR):
            return _forbidden(request, caller, "applying a plan")
        service = service_of(request)
        try:
            stored = service.stored_plan(plan_id)
            result = await service.apply(stored.sync, plan_id)
        except ServiceError as exc:
            return _error(request, caller, exc)
        return RedirectResponse(f"/runs/{result.report.run_id}", status_code=303)

    return router
