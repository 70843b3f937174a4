"""Handoff creation: throughput and latency against a bare POST-plus-one-commit ceiling (same machine, run).

Ours    = POST /api/v1/handoffs with a realistic body (a small PNG screenshot, a 2FA page's DOM) through the
          whole pipeline: API-key check, created → detected (classifier) → frozen (AES-GCM snapshot) →
          notified (console channel), four hash-chained audit records, trace rows, one commit.
Ceiling = a bare FastAPI app (bench/_ceiling_app.py) that validates the same body and does ONE INSERT and
          one durable commit to the same kind of database with the same driver settings.

Both run as uvicorn subprocesses (one worker, --no-access-log) on 127.0.0.1, the server pinned to CPU 0 and
the load generator to CPU 1 when the machine has two CPUs. Load is closed-loop: wrk with a Lua script (or,
without wrk, an asyncio + httpx generator — say so in the output), bounded in time and in count. Each case
gets a warm-up, then a measured run; "server" latency is taken inside the server process (ASGI call to the
last body byte), "client" latency is wrk's. Runs on SQLite always and on PostgreSQL when
BATONPASS_BENCH_POSTGRES_URL (or BATONPASS_TEST_POSTGRES_URL) names a server: a private database is created
for the run and dropped afterwards.

The DESIGN §8 budget (≥ 50 % of the ceiling's throughput; p99 server time < 25 ms) is reported, not asserted.

    make bench
    backend/.venv/bin/python bench/handoff_create.py --duration 8 --warmup 2 --connections 1,16
"""

import argparse
import asyncio
import base64
import json
import os
import platform
import secrets
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

import httpx

BENCH_DIR = Path(__file__).resolve().parent
BACKEND_DIR = BENCH_DIR.parent / "backend"
sys.path.insert(0, str(BACKEND_DIR))

from _postgres import private_database_sync  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from app.audit.export import verify_tenant_chain  # noqa: E402
from app.auth.keys import Scope, create_api_key  # noqa: E402
from app.db import Database  # noqa: E402
from app.migrate import migrate  # noqa: E402
from app.models import Handoff  # noqa: E402
from app.tenants.service import create_tenant  # noqa: E402

OURS_PATH = "/api/v1/handoffs"
CEILING_PATH = "/handoffs"
TIMINGS_PATH = "/__bench__/timings"
BUDGET_RATIO = 0.50
BUDGET_P99_MS = 25.0

LOG_CONFIG = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(levelname)s %(name)s: %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stderr"}},
    "root": {"level": "WARNING", "handlers": ["stderr"]},
    # The console channel logs one WARNING line per handoff: thousands per second would measure the log.
    "loggers": {"batonpass.notify.console": {"level": "ERROR"}},
}

WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
{auth}
local f = assert(io.open("{body_path}", "rb"))
wrk.body = f:read("*a")
f:close()
local threads = {{}}
setup = function(thread) table.insert(threads, thread) end
seen, cap, codes = 0, {cap}, ""
response = function(status, headers, body)
  seen = seen + 1
  if status >= 400 and #codes < 200 then codes = codes .. status .. " " end
  if seen >= cap then wrk.thread:stop() end
end
done = function(s, lat, req)
  local e, statuses = s.errors, ""
  for _, thread in ipairs(threads) do statuses = statuses .. (thread:get("codes") or "") end
  io.write(string.format(
    'BENCH_JSON {{"requests":%d,"duration_us":%d,"status":%d,"connect":%d,"read":%d,"write":%d,' ..
    '"timeout":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,"codes":"%s"}}\\n',
    s.requests, s.duration, e.status, e.connect, e.read, e.write, e.timeout,
    lat:percentile(50), lat:percentile(99), lat.max, statuses))
end
"""

OTP_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>2-Step Verification - Example</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/static/app.css"></head>
<body class="auth">
<header class="topbar"><a href="/" class="logo">Example</a><nav><a href="/help">Help</a>
<a href="/privacy">Privacy</a></nav></header>
<main class="card">
<h1>2-Step Verification</h1>
<p>This extra step shows it's really you trying to sign in.</p>
<p>Enter the 6-digit code from your authenticator app. The code changes every 30 seconds.</p>
<form action="/signin/v2/challenge/totp" method="post" id="challenge">
<input type="hidden" name="flowToken" value="AV8Zq3kd9Vx2">
<input type="hidden" name="continue" value="https://example.com/reports/q3">
<label for="totpPin">Enter code</label>
<input id="totpPin" name="totpPin" type="tel" autocomplete="one-time-code" inputmode="numeric"
 maxlength="6" pattern="[0-9]{6}" aria-label="Enter the 6-digit code" autofocus>
<label class="remember"><input type="checkbox" name="trustDevice" checked> Don't ask again on this
 computer</label>
<button type="submit" class="primary">Verify</button>
<a href="/signin/v2/challenge/selection" class="secondary">Try another way</a>
</form></main>
<footer><span>English (United States)</span><a href="/terms">Terms</a></footer>
<script src="/static/challenge.js" defer></script>
</body></html>"""


def screenshot_png(width: int = 240, height: int = 150) -> bytes:
    """A small but real PNG: a page-like picture (bands, a 'text' pattern) that compresses realistically."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = []
    for y in range(height):
        row = bytearray(b"\x00")
        for x in range(width):
            ink = (x // 3 + y // 5) % 7 == 0 and 40 < y < 110 and 20 < x < 220
            shade = 30 if ink else 245 - (y // 15) * 3
            row += bytes((shade, shade, min(255, shade + (x * 7 + y * 13) % 11)))
        rows.append(bytes(row))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows), 6))
        + chunk(b"IEND", b"")
    )


def request_body() -> tuple[bytes, dict[str, int]]:
    png = screenshot_png()
    body = {
        "agent_id": "agent_outbound_sf",
        "interruption_type": "twofa",
        "domain": "example.com",
        "url": "https://accounts.example.com/signin/v2/challenge/totp?flow=AV8Zq3kd9Vx2",
        "task": "Export the Q3 pipeline report as CSV and upload it to the team drive",
        "snapshot": {
            "cookies": [
                {"name": "SID", "value": secrets.token_urlsafe(48), "domain": ".example.com", "path": "/",
                 "expires": 1893456000, "httpOnly": True, "secure": True, "sameSite": "Lax"},
                {"name": "__Host-GAPS", "value": secrets.token_urlsafe(32), "domain": "accounts.example.com",
                 "path": "/", "expires": -1, "httpOnly": True, "secure": True, "sameSite": "Strict"},
            ],
            "dom": OTP_PAGE,
            "screenshot": base64.b64encode(png).decode(),
            "viewport": {"width": 1280, "height": 800, "device_scale_factor": 1},
        },
        "metadata": {"run_id": "run_42", "step": 7, "sdk": "batonpass-py/0.1"},
    }  # fmt: skip
    encoded = json.dumps(body).encode()
    return encoded, {"body": len(encoded), "png": len(png), "dom": len(OTP_PAGE.encode())}


# ---------------------------------------------------------------------------------------------- results


@dataclass
class Run:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    errors: int
    error_detail: str = ""
    server_p50_ms: float | None = None
    server_p99_ms: float | None = None
    server_samples: int = 0

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


@dataclass
class DatabaseResult:
    name: str
    runs: dict[tuple[str, int], Run] = field(default_factory=dict)
    checks: list[str] = field(default_factory=list)


def percentile(sorted_values: list[float], pct: float) -> float:
    if not sorted_values:
        return float("nan")
    rank = max(1, round(pct / 100 * len(sorted_values) + 0.5))
    return sorted_values[min(rank, len(sorted_values)) - 1]


# ---------------------------------------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def stop(self) -> None:
        """Stop this server by its own PID: SIGTERM, then SIGKILL if it does not exit."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log_tail(self, lines: int = 30) -> str:
        with suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""


def start_server(
    name: str, module: str, env: dict[str, str], workdir: Path, log_config: Path, pin: str | None
) -> Server:
    port = free_port()
    log_path = workdir / f"{name}.log"
    command = [
        sys.executable, "-m", "uvicorn", f"{module}:app",
        "--app-dir", str(BENCH_DIR), "--host", "127.0.0.1", "--port", str(port),
        "--workers", "1", "--no-access-log", "--log-config", str(log_config),
    ]  # fmt: skip
    if pin is not None:
        command = ["taskset", "-c", pin, *command]
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("BATONPASS_")}
    full_env.update(env)
    full_env["PYTHONPATH"] = os.pathsep.join([str(BACKEND_DIR), str(BENCH_DIR)])
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 (our own command line)
            command, cwd=BACKEND_DIR, env=full_env, stdout=log, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    server = Server(name, url, process, log_path)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} server exited early:\n{server.log_tail()}")
        with suppress(httpx.HTTPError):
            if httpx.get(url + TIMINGS_PATH, timeout=1).status_code == 200:
                return server
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"{name} server did not come up:\n{server.log_tail()}")


def fetch_server_timings(server: Server, settle_s: float = 30.0) -> list[float]:
    """The server's samples since the last call, once the requests still in flight (wrk stops with up to
    one request per connection outstanding) have finished — bounded by `settle_s`."""
    deadline = time.monotonic() + settle_s
    samples: list[int] = []
    while True:
        report = httpx.get(server.url + TIMINGS_PATH, timeout=10).json()
        samples.extend(report["samples_ns"])
        if report["in_flight"] == 0 or time.monotonic() > deadline:
            return sorted(ns / 1e6 for ns in samples)
        time.sleep(0.05)


# ---------------------------------------------------------------------------------------------- load


class Generator:
    name = "?"

    def run(self, url: str, headers: dict[str, str], body: bytes, connections: int, seconds: float, cap: int) -> Run:
        raise NotImplementedError


class Wrk(Generator):
    def __init__(self, workdir: Path, pin: str | None) -> None:
        self.workdir = workdir
        self.pin = pin
        version = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)  # noqa: S607
        first = (version.stdout + version.stderr).strip().splitlines()
        self.name = first[0].split(" [")[0] if first else "wrk"

    def run(self, url: str, headers: dict[str, str], body: bytes, connections: int, seconds: float, cap: int) -> Run:
        body_path = self.workdir / "body.json"
        body_path.write_bytes(body)
        auth = "\n".join(f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items())
        script = self.workdir / "post.lua"
        script.write_text(WRK_SCRIPT.format(auth=auth, body_path=body_path, cap=cap))
        command = [
            "wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "5s",
            "-s", str(script), url,
        ]  # fmt: skip
        if self.pin is not None:
            command = ["taskset", "-c", self.pin, *command]
        done = subprocess.run(  # noqa: S603 (our own command line)
            command, capture_output=True, text=True, check=False, timeout=seconds + 60
        )
        line = next((ln for ln in done.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
        if line is None:
            raise RuntimeError(f"wrk gave no result:\n{done.stdout}\n{done.stderr}")
        r = json.loads(line.removeprefix("BENCH_JSON "))
        kinds = ("status", "connect", "read", "write", "timeout")
        errors = sum(r[kind] for kind in kinds)
        detail = ", ".join(f"{kind} {r[kind]}" for kind in kinds if r[kind])
        codes = sorted(set(r["codes"].split()))
        if codes:
            detail += f" (HTTP {', '.join(codes)})"
        return Run(
            requests=r["requests"],
            seconds=r["duration_us"] / 1e6,
            p50_ms=r["p50_us"] / 1000,
            p99_ms=r["p99_us"] / 1000,
            max_ms=r["max_us"] / 1000,
            errors=errors,
            error_detail=detail,
        )


class HttpxLoop(Generator):
    """Fallback when wrk is missing: asyncio + httpx, closed loop. Far slower than wrk: it may be the
    bottleneck at higher concurrency, so treat its throughput as a lower bound."""

    name = "asyncio+httpx (wrk not found)"

    def __init__(self, pin: str | None) -> None:
        self.pin = pin

    def run(self, url: str, headers: dict[str, str], body: bytes, connections: int, seconds: float, cap: int) -> Run:
        affinity = None
        if self.pin is not None and hasattr(os, "sched_setaffinity"):
            affinity = os.sched_getaffinity(0)
            os.sched_setaffinity(0, {int(self.pin)})
        try:
            return asyncio.run(self._run(url, headers, body, connections, seconds, cap))
        finally:
            if affinity is not None:
                os.sched_setaffinity(0, affinity)

    async def _run(
        self, url: str, headers: dict[str, str], body: bytes, connections: int, seconds: float, cap: int
    ) -> Run:
        latencies: list[float] = []
        errors = 0
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        all_headers = {"Content-Type": "application/json", **headers}
        async with httpx.AsyncClient(limits=limits, timeout=5) as client:
            started = time.perf_counter()
            deadline = started + seconds

            async def worker() -> None:
                nonlocal errors
                while time.perf_counter() < deadline and len(latencies) + errors < cap:
                    t0 = time.perf_counter()
                    try:
                        response = await client.post(url, content=body, headers=all_headers)
                        if response.status_code >= 400:
                            errors += 1
                    except httpx.HTTPError:
                        errors += 1
                        continue
                    latencies.append((time.perf_counter() - t0) * 1000)

            await asyncio.gather(*(worker() for _ in range(connections)))
            elapsed = time.perf_counter() - started
        latencies.sort()
        return Run(
            requests=len(latencies) + errors,
            seconds=elapsed,
            p50_ms=percentile(latencies, 50),
            p99_ms=percentile(latencies, 99),
            max_ms=latencies[-1] if latencies else float("nan"),
            errors=errors,
        )


# ---------------------------------------------------------------------------------------------- databases


async def prepare_tenant(url: str) -> tuple[str, str]:
    """Migrate and create a tenant with an agent key by calling the app code directly."""
    database = Database(url)
    try:
        await migrate(database.engine)
        async with database.transaction() as session:
            tenant = await create_tenant(session, "bench")
            agent_key, _ = await create_api_key(session, tenant.id, Scope.AGENT, "bench agent")
        return tenant.id, agent_key
    finally:
        await database.dispose()


async def check_outcome(url: str, tenant_id: str) -> list[str]:
    """Every created handoff reached `notified`, and the tenant's audit chain still verifies."""
    database = Database(url)
    try:
        async with database.readers() as session:
            rows = await session.execute(
                select(Handoff.state, func.count()).where(Handoff.tenant_id == tenant_id).group_by(Handoff.state)
            )
            states = {str(state): int(count) for state, count in rows.all()}
        verdict = await verify_tenant_chain(database, tenant_id)
    finally:
        await database.dispose()
    total = sum(states.values())
    return [
        f"{total:,} handoffs created; states: "
        + ", ".join(f"{state} {count:,}" for state, count in sorted(states.items()))
        + (" (all notified)" if states.keys() == {"notified"} else " (NOT all notified)"),
        f"audit chain: {verdict.records:,} records, "
        + ("verifies" if verdict.ok else f"BROKEN at {verdict.broken_at}: {verdict.problem}"),
    ]


# ---------------------------------------------------------------------------------------------- the run


def out(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def measure(
    server: Server,
    path: str,
    headers: dict[str, str],
    body: bytes,
    generator: Generator,
    connections: int,
    args: argparse.Namespace,
) -> Run:
    url = server.url + path
    generator.run(url, headers, body, connections, args.warmup, args.max_requests)
    fetch_server_timings(server)  # drop the warm-up's samples
    run = generator.run(url, headers, body, connections, args.duration, args.max_requests)
    server_ms = fetch_server_timings(server)
    run.server_samples = len(server_ms)
    run.server_p50_ms = percentile(server_ms, 50)
    run.server_p99_ms = percentile(server_ms, 99)
    return run


def bench_database(
    name: str, url: str, ceiling_url: str, args: argparse.Namespace, generator: Generator, workdir: Path,
    body: bytes, server_pin: str | None,
) -> DatabaseResult:  # fmt: skip
    result = DatabaseResult(name)
    tenant_id, agent_key = asyncio.run(prepare_tenant(url))
    log_config = workdir / "log-config.json"
    log_config.write_text(json.dumps(LOG_CONFIG))
    data_dir = workdir / f"data-{name}"
    data_dir.mkdir(exist_ok=True)
    servers: list[Server] = []
    try:
        ours = start_server(
            f"ours-{name}",
            "_ours_app",
            {
                "BATONPASS_DATABASE_URL": url,
                "BATONPASS_DATA_DIR": str(data_dir),
                "BATONPASS_MASTER_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
                "BATONPASS_MIGRATE_ON_START": "false",
            },
            workdir,
            log_config,
            server_pin,
        )
        servers.append(ours)
        ceiling = start_server(
            f"ceiling-{name}",
            "_ceiling_app",
            {"BENCH_CEILING_DATABASE_URL": ceiling_url},
            workdir,
            log_config,
            server_pin,
        )
        servers.append(ceiling)
        agent = {"Authorization": f"Bearer {agent_key}"}
        json_headers = {**agent, "Content-Type": "application/json"}
        probe = httpx.post(ours.url + OURS_PATH, content=body, headers=json_headers)
        if probe.status_code != 201 or probe.json().get("state") != "notified":
            raise RuntimeError(f"our POST does not reach notified: {probe.status_code} {probe.text[:500]}")
        for connections in args.connections:
            for side, server, path, headers in (
                ("ceiling", ceiling, CEILING_PATH, {}),
                ("ours", ours, OURS_PATH, agent),
            ):
                run = measure(server, path, headers, body, generator, connections, args)
                result.runs[(side, connections)] = run
                out(
                    f"  measured {name:<8} {side:<8} c={connections:<3} {run.rps:9,.0f} req/s  "
                    f"p50 {run.p50_ms:6.2f} ms  p99 {run.p99_ms:6.2f} ms  errors {run.errors}"
                    + (f": {run.error_detail}" if run.error_detail else "")
                )
    finally:
        for server in servers:
            server.stop()
    result.checks = asyncio.run(check_outcome(url, tenant_id))
    return result


def report(results: list[DatabaseResult], args: argparse.Namespace) -> None:
    out()
    header = (
        f"{'database':<9}{'side':<9}{'conns':>5}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}"
        f"{'srv p50':>9}{'srv p99':>9}{'errors':>8}"
    )
    out(header)
    out("-" * len(header))
    for result in results:
        for connections in args.connections:
            for side in ("ceiling", "ours"):
                run = result.runs.get((side, connections))
                if run is None:
                    continue
                out(
                    f"{result.name:<9}{side:<9}{connections:>5}{run.rps:>10,.0f}{run.p50_ms:>9.2f}"
                    f"{run.p99_ms:>9.2f}{run.max_ms:>9.1f}{run.server_p50_ms or 0:>9.2f}"
                    f"{run.server_p99_ms or 0:>9.2f}{run.errors:>8}"
                )
    out("(p50/p99/max: client latency from the load generator; srv: time inside the server process)")
    for result in results:
        out()
        out(f"{result.name}:")
        ratios = []
        for connections in args.connections:
            ours, ceiling = result.runs.get(("ours", connections)), result.runs.get(("ceiling", connections))
            if ours and ceiling and ceiling.rps:
                ratios.append((connections, ours.rps / ceiling.rps))
        out("  ratio ours / ceiling (req/s): " + ", ".join(f"c={c}: {r:.2f}" for c, r in ratios))
        saturated = max(args.connections)
        ours_sat = result.runs.get(("ours", saturated))
        ceiling_sat = result.runs.get(("ceiling", saturated))
        if ours_sat and ceiling_sat and ceiling_sat.rps:
            ratio = ours_sat.rps / ceiling_sat.rps
            verdict = "met" if ratio >= BUDGET_RATIO else "NOT met"
            out(
                f"  budget throughput ≥ {BUDGET_RATIO:.0%} of the ceiling at c={saturated}: "
                f"{ours_sat.rps:,.0f} / {ceiling_sat.rps:,.0f} = {ratio:.0%} — {verdict}"
            )
        lowest = min(args.connections)
        for connections in sorted({lowest, saturated}):
            run = result.runs.get(("ours", connections))
            if run is None or run.server_p99_ms is None:
                continue
            verdict = "met" if run.server_p99_ms < BUDGET_P99_MS else "NOT met"
            note = " (the budget's measure)" if connections == lowest else " (saturated, includes queueing)"
            out(
                f"  budget p99 server time < {BUDGET_P99_MS:.0f} ms at c={connections}{note}: "
                f"{run.server_p99_ms:.2f} ms — {verdict}"
            )
        for line in result.checks:
            out(f"  check: {line}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=8.0, help="measured seconds per case (default 8)")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds per case (default 2)")
    parser.add_argument(
        "--connections", default="1,16", help="comma-separated closed-loop connection counts (default 1,16)"
    )
    parser.add_argument("--max-requests", type=int, default=200_000, help="cap on requests per run (default 200000)")
    parser.add_argument(
        "--databases", default="sqlite,postgres", help="which of sqlite,postgres (postgres needs a URL)"
    )
    parser.add_argument("--no-pin", action="store_true", help="do not pin server and load generator to CPUs")
    parser.add_argument("--httpx", action="store_true", help="use the asyncio+httpx generator, not wrk")
    args = parser.parse_args(argv)
    args.connections = sorted({int(c) for c in args.connections.split(",") if c.strip()})
    args.databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    body, sizes = request_body()
    cpus = os.cpu_count() or 1
    pin = not args.no_pin and cpus >= 2 and shutil.which("taskset") is not None
    server_pin, load_pin = ("0", "1") if pin else (None, None)
    postgres_url = os.environ.get("BATONPASS_BENCH_POSTGRES_URL") or os.environ.get("BATONPASS_TEST_POSTGRES_URL")

    with tempfile.TemporaryDirectory(prefix="bp-bench-") as tmp:
        workdir = Path(tmp)
        generator: Generator = Wrk(workdir, load_pin) if shutil.which("wrk") and not args.httpx else HttpxLoop(load_pin)
        out("Baton Pass bench — handoff creation vs a bare POST-plus-one-commit ceiling (same machine, run)")
        out(
            f"machine: {cpus} CPUs, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}; load: {generator.name}"
            + ("; server pinned to CPU 0, load generator to CPU 1" if pin else "; not pinned")
        )
        out(
            f"body: {sizes['body']:,} bytes JSON (PNG screenshot {sizes['png']:,} bytes before base64, "
            f"DOM {sizes['dom']:,} bytes, 2 cookies); uvicorn 1 worker, --no-access-log, console channel "
            "logger at ERROR"
        )
        out(
            f"each case: {args.warmup:g} s warm-up, then {args.duration:g} s measured "
            f"(cap {args.max_requests:,} requests); connections: {', '.join(map(str, args.connections))}"
        )
        out(
            f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
            "(other work on the machine skews the figures)"
        )
        if isinstance(generator, HttpxLoop):
            out("NOTE: wrk is not installed (apt-get install -y wrk); the Python generator is much slower")
            out("      than wrk and may itself be the bottleneck: req/s are a lower bound on both sides.")

        results: list[DatabaseResult] = []
        if "sqlite" in args.databases:
            out()
            out("sqlite (WAL, synchronous=FULL, SQLAlchemy async + aiosqlite, BEGIN IMMEDIATE)")
            ours_url = f"sqlite+aiosqlite:///{workdir / 'ours.db'}"
            ceiling_url = f"sqlite+aiosqlite:///{workdir / 'ceiling.db'}"
            results.append(bench_database("sqlite", ours_url, ceiling_url, args, generator, workdir, body, server_pin))
        if "postgres" in args.databases:
            out()
            if not postgres_url:
                out("postgres: skipped — set BATONPASS_BENCH_POSTGRES_URL (or BATONPASS_TEST_POSTGRES_URL),")
                out("          e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/test")
            else:
                out("postgres (SQLAlchemy async + asyncpg; a private database for this run, dropped after)")
                with private_database_sync(postgres_url) as url:
                    results.append(bench_database("postgres", url, url, args, generator, workdir, body, server_pin))
        report(results, args)
        out()
        out(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
