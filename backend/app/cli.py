"""`batonpass` — serve, migrate, manage tenants and keys, verify audit exports offline."""

import argparse
import asyncio
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from app.audit.chain import verify_jsonl
from app.auth.keys import Scope, create_api_key
from app.config import get_settings
from app.db import Database
from app.kit.problems import Problem
from app.migrate import migrate
from app.tenants.service import create_tenant, find_tenant_by_name, get_tenant, rotate_snapshot_key

DEV_TENANT = "dev"


def _out(line: str = "") -> None:
    sys.stdout.write(line + "\n")


async def _with_database(work: Callable[[Database], Awaitable[int]]) -> int:
    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    database = Database(settings.resolved_database_url())
    try:
        await migrate(database.engine)
        return await work(database)
    finally:
        await database.dispose()


async def _migrate(_: argparse.Namespace) -> int:
    async def work(database: Database) -> int:
        _out(f"database is at the latest schema ({database.dialect})")
        return 0

    return await _with_database(work)


async def _create_tenant(args: argparse.Namespace) -> int:
    async def work(database: Database) -> int:
        async with database.transaction() as session:
            tenant = await create_tenant(session, args.name)
        _out(tenant.id)
        return 0

    return await _with_database(work)


async def _create_api_key(args: argparse.Namespace) -> int:
    async def work(database: Database) -> int:
        async with database.transaction() as session:
            await get_tenant(session, args.tenant)
            plaintext, row = await create_api_key(session, args.tenant, Scope(args.scope), args.name)
        _out(plaintext)
        sys.stderr.write(f"{row.id} ({args.scope}) — shown once, stored hashed; keep it somewhere safe.\n")
        return 0

    return await _with_database(work)


async def _rotate_key(args: argparse.Namespace) -> int:
    async def work(database: Database) -> int:
        async with database.transaction() as session:
            version = await rotate_snapshot_key(session, args.tenant)
        _out(f"tenant {args.tenant} now encrypts new snapshots with key version {version}")
        return 0

    return await _with_database(work)


async def _dev_bootstrap(_: argparse.Namespace) -> int:
    """First run of `make run`: a dev tenant with an agent and an admin key, printed once."""

    async def work(database: Database) -> int:
        async with database.transaction() as session:
            tenant = await find_tenant_by_name(session, DEV_TENANT)
            if tenant is not None:
                _out(f"dev tenant {tenant.id} exists; its API key was printed on the first run.")
                _out(f"need another? batonpass create-api-key --tenant {tenant.id} --scope admin")
                return 0
            tenant = await create_tenant(session, DEV_TENANT)
            agent_key, _ = await create_api_key(session, tenant.id, Scope.AGENT, "dev agent (make run)")
            admin_key, _ = await create_api_key(session, tenant.id, Scope.ADMIN, "dev admin (make run)")
        _out("")
        _out(f"  Baton Pass dev tenant created: {tenant.id}")
        _out("  API keys (shown once, stored hashed) — paste into your shell:")
        _out("")
        _out(f"      export BP_KEY={agent_key}        # agent scope")
        _out(f"      export BP_ADMIN_KEY={admin_key}  # admin scope")
        _out("")
        return 0

    return await _with_database(work)


def _verify(args: argparse.Namespace) -> int:
    path = Path(args.file)
    if not path.exists():
        sys.stderr.write(f"no such file: {path}\n")
        return 2
    with path.open(encoding="utf-8") as handle:
        verdict = verify_jsonl(handle, anchor=args.anchor)
    if verdict.ok:
        _out(f"OK: {verdict.records} records, seq {verdict.first_seq}..{verdict.last_seq}, head {verdict.head_hash}")
        return 0
    _out(f"BROKEN at line {verdict.broken_at}: {verdict.problem}")
    _out(f"{verdict.records} records before it verified")
    return 1


async def _worker(_: argparse.Namespace) -> int:
    """Timers (escalations, expiries) in their own process; run any number of them side by side."""
    from app.escalation.worker import escalation_worker
    from app.runtime import Runtime

    settings = get_settings()
    runtime = Runtime.build(settings)
    await migrate(runtime.database.engine)
    await runtime.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    sys.stderr.write(f"batonpass worker running against {runtime.database.dialect}; Ctrl-C stops it\n")
    try:
        await escalation_worker(runtime).run(stop)
    finally:
        await runtime.close()
    return 0


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    uvicorn.run("app.main:app", host=args.host, port=args.port, proxy_headers=True)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="batonpass", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the API server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8069)
    serve.set_defaults(run=_serve)

    commands.add_parser("migrate", help="apply database migrations").set_defaults(run=_migrate)
    commands.add_parser("worker", help="run the timer worker (escalations, expiries) alone").set_defaults(run=_worker)

    tenant = commands.add_parser("create-tenant", help="create a tenant and print its id")
    tenant.add_argument("--name", required=True)
    tenant.set_defaults(run=_create_tenant)

    key = commands.add_parser("create-api-key", help="create an API key and print it (once)")
    key.add_argument("--tenant", required=True)
    key.add_argument("--scope", choices=[s.value for s in Scope], default=Scope.AGENT.value)
    key.add_argument("--name", default="cli")
    key.set_defaults(run=_create_api_key)

    rotate = commands.add_parser("rotate-snapshot-key", help="encrypt new snapshots under a new key version")
    rotate.add_argument("--tenant", required=True)
    rotate.set_defaults(run=_rotate_key)

    commands.add_parser("dev-bootstrap", help="create the dev tenant and key on first run").set_defaults(
        run=_dev_bootstrap
    )

    audit = commands.add_parser("audit", help="audit log tools")
    audit_commands = audit.add_subparsers(dest="audit_command", required=True)
    verify = audit_commands.add_parser("verify", help="verify a JSONL audit export offline")
    verify.add_argument("file")
    verify.add_argument("--anchor", help="expected prev_hash of the first line (a head you trust)")
    verify.set_defaults(run=_verify)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        result = args.run(args)
        if asyncio.iscoroutine(result):
            result = asyncio.run(result)
    except Problem as problem:
        sys.stderr.write(f"batonpass: {problem.detail}\n")
        return 1
    return int(result)


if __name__ == "__main__":
    raise SystemExit(main())
