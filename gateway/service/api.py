"""The HTTP API: every route typed (its models are the OpenAPI schema at `/openapi.json`).

    GET  /api/systems                        configured systems and what each can do
    GET  /api/syncs                          syncs: schedule, next run, last run
    GET  /api/balances?system=&employee=&type=&as_of=
                                             balances read live, canonical, with person ids
    GET  /api/drift?sync=                    source and target side by side (writes nothing)
    GET  /api/runs?sync=&status=&limit=&offset=
    GET  /api/runs/{run_id}?status=&operation=&employee=&limit=&offset=
    POST /api/syncs/{name}/plan              a plan preview, kept for its plan id
    POST /api/syncs/{name}/apply             {"plan_id": ...}: apply it (operator token)
    GET  /healthz                            no token needed
    GET  /metrics                            Prometheus text format

Errors are `{"detail": "...", "details": [...]}` with a 4xx status (400 bad input, 401 no or
unknown token, 403 a read token where an operator's is needed, 404 no such sync/system/run/plan,
409 the plan cannot be applied now, 422 a malformed parameter), or 502 when a configured
system failed to answer.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response, Security
from fastapi.security import HTTPAuthorizationCredentials

from balance_gateway import __version__
from balance_gateway.adapters._core.adapter import OperationKind
from balance_gateway.gateway.journal import OpStatus, RunStatus
from balance_gateway.gateway.service.auth import bearer_role, bearer_scheme, forbidden
from balance_gateway.gateway.service.core import GatewayService
from balance_gateway.gateway.service.metrics import CONTENT_TYPE
from balance_gateway.gateway.service.models import (
    ApplyIn,
    ApplyOut,
    BalancesOut,
    DriftOut,
    ErrorOut,
    HealthOut,
    PlanOut,
    RunDetailOut,
    RunsOut,
    SyncOut,
    SyncsOut,
    SystemsOut,
    TypePairOut,
    UnresolvedOut,
    attempt_out,
    balances_out,
    operation_out,
    row_out,
    run_out,
    running_out,
    sync_drift_out,
    system_out,
)
from balance_gateway.gateway.service.settings import Role

NAME = r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$"


def service_of(request: Request) -> GatewayService:
    service: GatewayService = request.app.state.service
    return service


Service = Annotated[GatewayService, Depends(service_of)]


def _needs(needed: Role) -> Any:
    def check(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)],
    ) -> Role:
        role = bearer_role(service_of(request).settings.tokens, credentials)
        if not role.allows(needed):
            raise forbidden(needed)
        return role

    return Depends(check)


READ = _needs(Role.READ)
OPERATOR = _needs(Role.OPERATOR)

_AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "No bearer token, or not a configured one."},
}
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorOut}}
_UPSTREAM: dict[int | str, dict[str, Any]] = {
    502: {"model": ErrorOut, "description": "A configured system failed to answer."},
    503: {"model": ErrorOut, "description": "The service's set-up cannot do this."},
}

SyncName = Annotated[str, Path(max_length=200, pattern=NAME, description="A sync's name.")]


def syncs_out(service: GatewayService) -> SyncsOut:
    """Every sync with its schedule, next run and last run (the dashboard's front page too)."""
    last = service.last_runs()
    upcoming = service.scheduler.next_runs()
    zone = service.config.file.service.timezone
    return SyncsOut(
        syncs=[
            SyncOut(
                name=s.name,
                source=s.source,
                target=s.target,
                types=[TypePairOut(source=p.source, target=p.target, kind=p.kind) for p in s.types],
                schedule=s.schedule,
                timezone=zone,
                next_run=upcoming.get(s.name),
                last_run=None if s.name not in last else run_out(last[s.name]),
                last_attempt=attempt_out(service.attempts.get(s.name)),
            )
            for s in service.config.file.syncs
        ],
        running=running_out(service.running),
    )


def scheduler_state(request: Request) -> str:
    task = getattr(request.app.state, "scheduler_task", None)
    wanted = getattr(request.app.state, "scheduler_wanted", True)
    if not wanted or not service_of(request).scheduler.schedules:
        return "off"
    return "running" if task is not None and not task.done() else "stopped"


def build_router() -> APIRouter:
    router = APIRouter()

    @router.get("/healthz", tags=["service"], summary="The process answers")
    def healthz(request: Request, response: Response) -> HealthOut:
        """`ok`, and whether schedules are being kept (`stopped`: they are not; the answer is
        then `degraded` with status 503, so that a supervisor restarts the process)."""
        state = scheduler_state(request)
        if state == "stopped":
            response.status_code = 503
        scheduler: Any = state
        return HealthOut(
            status="degraded" if state == "stopped" else "ok",
            version=__version__,
            scheduler=scheduler,
            running=running_out(service_of(request).running),
        )

    @router.get(
        "/metrics",
        tags=["service"],
        summary="Prometheus metrics",
        response_class=Response,
        responses={
            200: {"content": {CONTENT_TYPE: {}}, "description": "Prometheus text format."},
            **_AUTH_ERRORS,
        },
        dependencies=[READ],
    )
    def metrics(service: Service) -> Response:
        """Runs by outcome, operations by kind, requests and 429s per system, the last success
        and next run of each sync (see `gateway.service.metrics`)."""
        return Response(content=service.metrics.render(), media_type=CONTENT_TYPE)

    @router.get(
        "/api/systems",
        tags=["systems"],
        summary="Configured systems",
        responses=_AUTH_ERRORS,
        dependencies=[READ],
    )
    async def systems(service: Service) -> SystemsOut:
        """Every configured system: vendor, base URL, what its dialect can do, and the syncs
        reading and writing it. Credentials are never shown."""
        return SystemsOut(systems=[system_out(s) for s in await service.systems()])

    @router.get(
        "/api/syncs",
        tags=["syncs"],
        summary="Syncs, their schedules and last runs",
        responses=_AUTH_ERRORS,
        dependencies=[READ],
    )
    def syncs(service: Service) -> SyncsOut:
        return syncs_out(service)

    @router.get(
        "/api/balances",
        tags=["balances"],
        summary="Balances read live, in the canonical model",
        responses={400: {"model": ErrorOut}, **_AUTH_ERRORS, **_NOT_FOUND, **_UPSTREAM},
        dependencies=[READ],
    )
    async def balances(
        service: Service,
        system: Annotated[
            str | None, Query(max_length=200, description="Read only this system.")
        ] = None,
        employee: Annotated[
            str | None,
            Query(
                max_length=300,
                description="SYSTEM:ID (any system the person has an id in), or an id in "
                "`system`. Without it: every mapped person of `system`.",
            ),
        ] = None,
        leave_type: Annotated[
            str | None,
            Query(alias="type", max_length=200, description="A vendor leave-type id."),
        ] = None,
        as_of: Annotated[date | None, Query(description="Default: today (UTC).")] = None,
    ) -> BalancesOut:
        """One person's balances across every configured system (or every mapped person of
        one system), each with the person's id from the mapping. A system that cannot be read
        (write-only Kenjo) shows what balance-gateway last wrote there (`live: false`)."""
        lookup = await service.balances(
            system=system, employee=employee, leave_type=leave_type, as_of=as_of
        )
        return balances_out(lookup)

    @router.get(
        "/api/drift",
        tags=["syncs"],
        summary="Source and target side by side",
        responses={**_AUTH_ERRORS, **_NOT_FOUND, **_UPSTREAM},
        dependencies=[READ],
    )
    async def drift(
        service: Service,
        sync: Annotated[
            str | None, Query(max_length=200, description="One sync (default: every sync).")
        ] = None,
    ) -> DriftOut:
        """For each mapped person and leave type: the source's figure, the target now and what
        it should hold, and the difference in the target's unit. A plan that writes nothing:
        the rows are those of `balance-gateway plan --json` on the same state."""
        report = await service.drift(sync)
        return DriftOut(syncs=[sync_drift_out(p, service.mapping) for p in report.plans])

    @router.get(
        "/api/runs",
        tags=["runs"],
        summary="The journal's runs, newest first",
        responses=_AUTH_ERRORS,
        dependencies=[READ],
    )
    def runs(
        service: Service,
        sync: Annotated[str | None, Query(max_length=200)] = None,
        status: RunStatus | None = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 50,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> RunsOut:
        found = [
            r
            for r in service.runs()
            if (sync is None or sync in r.syncs) and (status is None or r.status is status)
        ]
        pending = Counter(op.system for op in service.unresolved())
        return RunsOut(
            runs=[run_out(r) for r in found[offset : offset + limit]],
            total=len(found),
            unresolved=[UnresolvedOut(system=s, count=n) for s, n in sorted(pending.items())],
        )

    @router.get(
        "/api/runs/{run_id}",
        tags=["runs"],
        summary="One run and its operations",
        responses={**_AUTH_ERRORS, **_NOT_FOUND},
        dependencies=[READ],
    )
    def run(
        service: Service,
        run_id: Annotated[str, Path(max_length=100)],
        status: OpStatus | None = None,
        operation: OperationKind | None = None,
        employee: Annotated[
            str | None, Query(max_length=300, description="A target or source employee id.")
        ] = None,
        limit: Annotated[int, Query(ge=1, le=100_000)] = 10_000,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> RunDetailOut:
        """Every operation of the run (filterable): before and after in the target's unit,
        outcome, verification, note."""
        record, ops = service.run(run_id)
        found = [
            op
            for op in ops
            if (status is None or op.status is status)
            and (operation is None or op.kind is operation)
            and (employee is None or employee in (op.employee, op.source_employee))
        ]
        return RunDetailOut(
            run=run_out(record),
            operations=[operation_out(op) for op in found[offset : offset + limit]],
            total=len(found),
        )

    @router.post(
        "/api/syncs/{name}/plan",
        tags=["syncs"],
        summary="Plan a sync (writes nothing)",
        responses={**_AUTH_ERRORS, **_NOT_FOUND, **_UPSTREAM},
        dependencies=[READ],
    )
    async def plan(service: Service, name: SyncName) -> PlanOut:
        """Read source and target and keep the plan (15 minutes) under the returned
        `plan_id`, which POST .../apply takes. Nothing is written anywhere."""
        stored = await service.plan(name)
        plans = stored.report.plans
        return PlanOut(
            plan_id=stored.plan_id,
            sync=stored.sync,
            created_at=stored.created_at,
            expires_at=stored.expires_at,
            as_of=plans[0].as_of if plans else None,
            error=stored.error,
            writes=stored.writes,
            summary=stored.report.summary,
            guardrail_violations=list(stored.violations),
            rows=[row_out(r, service.mapping) for p in plans for r in p.rows],
        )

    @router.post(
        "/api/syncs/{name}/apply",
        tags=["syncs"],
        summary="Apply a plan (operator)",
        responses={
            400: {"model": ErrorOut},
            403: {"model": ErrorOut, "description": "A read token: apply needs an operator's."},
            409: {
                "model": ErrorOut,
                "description": "The plan cannot be applied: it failed, breaks a guardrail, the "
                "systems changed since it was made (nothing written), or a run is going on.",
            },
            **_AUTH_ERRORS,
            **_NOT_FOUND,
            **_UPSTREAM,
        },
        dependencies=[OPERATOR],
    )
    async def apply(service: Service, name: SyncName, body: ApplyIn) -> ApplyOut:
        """Run the sync as `balance-gateway sync --yes` does (resolve, plan, guardrails,
        apply exactly once, verify), writing only if the fresh plan's writes are the ones the
        plan id previewed. A plan id is applied at most once."""
        result = await service.apply(name, body.plan_id)
        report = result.report
        outcome = RunStatus(result.outcome)
        return ApplyOut(
            plan_id=result.plan.plan_id,
            run_id=report.run_id,
            outcome=outcome,
            exit_code=report.exit_code,
            summary=report.summary,
        )

    return router
