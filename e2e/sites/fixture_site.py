"""The end-to-end fixture site: three human-only steps in front of one dashboard.

- `/login` → `/2fa` (a TOTP from a secret the test knows; `?layout=split` draws six one-digit boxes)
- `/captcha`: a widget in an iframe, "tap the three squares with stars", then Verify, then Continue
- `/transfer`: "Send transfer" opens an approval modal (role=alertdialog) with Approve / Deny

The server is the judge: `/dashboard` shows `passed-<step>` only for steps this session really passed
(a valid TOTP, a CAPTCHA token the widget earned, an approval posted with the page's nonce). Served on
127.0.0.1 by the tests (`serve_in_thread`); `python e2e/sites/fixture_site.py` runs it alone.
"""

import argparse
import asyncio
import html
import logging
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from random import Random
from urllib.parse import parse_qsl

import pyotp
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

COOKIE = "site_session"
SYMBOLS = ("&#9679;", "&#9650;", "&#9632;", "&#9670;")
STAR = "&#9733;"

log = logging.getLogger("fixture_site")


@dataclass
class Session:
    id: str
    user: str | None = None
    passed: set[str] = field(default_factory=set)
    stars: frozenset[int] = frozenset()
    captcha_token: str | None = None
    transfer_nonce: str | None = None
    otp_failures: int = 0


class FixtureSite:
    """One site instance: its TOTP secret, its login password and every session it issued."""

    def __init__(self, totp_secret: str, password: str, *, seed: int | None = None) -> None:
        self.totp = pyotp.TOTP(totp_secret)
        self.password = password
        self.sessions: dict[str, Session] = {}
        self.random = Random(seed)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/", self.index),
                Route("/login", self.login, methods=["GET", "POST"]),
                Route("/2fa", self.two_factor, methods=["GET", "POST"]),
                Route("/captcha", self.captcha, methods=["GET", "POST"]),
                Route("/captcha/widget", self.captcha_widget),
                Route("/captcha/verify", self.captcha_verify, methods=["POST"]),
                Route("/transfer", self.transfer),
                Route("/transfer/approve", self.transfer_decision, methods=["POST"]),
                Route("/transfer/deny", self.transfer_decision, methods=["POST"]),
                Route("/dashboard", self.dashboard),
            ]
        )

    # --- sessions ------------------------------------------------------------------------------------------

    def session(self, request: Request) -> Session:
        sid = request.cookies.get(COOKIE, "")
        found = self.sessions.get(sid)
        if found is None:
            found = Session(secrets.token_urlsafe(16))
            self.sessions[found.id] = found
        return found

    def page(self, session: Session, title: str, body: str, status: int = 200) -> HTMLResponse:
        response = HTMLResponse(_layout(title, body), status_code=status)
        response.set_cookie(COOKIE, session.id, httponly=True, samesite="lax", path="/")
        return response

    def redirect(self, session: Session, to: str) -> RedirectResponse:
        response = RedirectResponse(to, status_code=303)
        response.set_cookie(COOKIE, session.id, httponly=True, samesite="lax", path="/")
        return response

    # --- pages -----------------------------------------------------------------------------------------------

    async def index(self, request: Request) -> Response:
        session = self.session(request)
        links = "".join(
            f'<li><a href="{href}">{label}</a></li>'
            for href, label in (("/login", "Sign in (2FA)"), ("/captcha", "Security check"), ("/transfer", "Payments"))
        )
        return self.page(session, "Northwind Ops", f"<h1>Northwind Ops</h1><ul>{links}</ul>")

    async def login(self, request: Request) -> Response:
        session = self.session(request)
        error = ""
        if request.method == "POST":
            form = await _form(request)
            if form.get("password") == self.password and form.get("username"):
                session.user = str(form["username"])
                layout = request.query_params.get("layout", "single")
                return self.redirect(session, f"/2fa?layout={layout}")
            error = '<p class="error" role="alert">Wrong username or password.</p>'
        layout = html.escape(request.query_params.get("layout", "single"))
        body = f"""
<h1>Sign in to Northwind Ops</h1>{error}
<form method="post" action="/login?layout={layout}" class="card">
  <label for="username">Username</label><input id="username" name="username" autocomplete="username">
  <label for="password">Password</label><input id="password" name="password" type="password"
    autocomplete="current-password">
  <button type="submit" id="sign-in">Sign in</button>
</form>"""
        return self.page(session, "Sign in · Northwind Ops", body, 401 if error else 200)

    async def two_factor(self, request: Request) -> Response:
        session = self.session(request)
        if session.user is None:
            return self.redirect(session, "/login")
        layout = request.query_params.get("layout", "single")
        error = ""
        if request.method == "POST":
            form = await _form(request)
            code = str(form.get("otp") or "".join(str(form.get(f"d{i}", "")) for i in range(1, 7)))
            if self.totp.verify(code, valid_window=1):
                session.passed.add("2fa")
                return self.redirect(session, "/dashboard")
            session.otp_failures += 1
            error = '<p class="error" role="alert">That code didn\'t work. Try again.</p>'
        if layout == "split":
            boxes = "".join(
                f'<input class="box" name="d{i}" type="text" inputmode="numeric" maxlength="1" '
                f'aria-label="Digit {i}" autocomplete="off">'
                for i in range(1, 7)
            )
            field_html = f'<div class="boxes">{boxes}</div>'
            button = '<button type="submit" id="verify" disabled>Verify</button>'
        else:
            field_html = (
                '<label for="otp">Authentication code</label>'
                '<input id="otp" name="otp" type="text" inputmode="numeric" autocomplete="one-time-code" '
                'maxlength="6" pattern="\\d{6}" placeholder="123456">'
            )
            button = '<button type="submit" id="verify">Verify</button>'
        body = f"""
<h1>2-Step Verification</h1>
<p>Enter the 6-digit code from your authenticator app for <strong>{html.escape(session.user)}</strong>.</p>{error}
<form method="post" action="/2fa?layout={html.escape(layout)}" class="card" id="otp-form">{field_html}{button}</form>
<script>{_SPLIT_BOXES_JS if layout == "split" else ""}</script>"""
        return self.page(session, "2-Step Verification · Northwind Ops", body)

    async def captcha(self, request: Request) -> Response:
        session = self.session(request)
        if request.method == "POST":
            form = await _form(request)
            token = str(form.get("captcha_token") or "")
            if session.captcha_token and secrets.compare_digest(token, session.captcha_token):
                session.passed.add("captcha")
                session.captcha_token = None
                return self.redirect(session, "/dashboard")
            body = '<h1>Security check</h1><p class="error" role="alert">Complete the check first.</p>'
            return self.page(session, "Security check · Northwind Ops", body + _CAPTCHA_BODY, 403)
        return self.page(session, "Security check · Northwind Ops", "<h1>Security check</h1>" + _CAPTCHA_BODY)

    async def captcha_widget(self, request: Request) -> Response:
        session = self.session(request)
        session.stars = frozenset(self.random.sample(range(9), 3))
        cells = "".join(
            f'<button type="button" class="cell" data-cell="{i}" aria-pressed="false">'
            f"{STAR if i in session.stars else self.random.choice(SYMBOLS)}</button>"
            for i in range(9)
        )
        retry = '<p class="error">Not quite. Try again.</p>' if request.query_params.get("retry") else ""
        body = f"""
<div id="challenge">
  <p class="prompt">Tap the three squares with stars</p>{retry}
  <div class="grid">{cells}</div>
  <button type="button" id="captcha-verify">Verify</button>
</div>
<div id="done" hidden><p class="ok">&#10003; Verified. You can continue.</p></div>
<script>{_WIDGET_JS}</script>"""
        return self.page(session, "captcha challenge", body)

    async def captcha_verify(self, request: Request) -> Response:
        session = self.session(request)
        chosen = {int(c) for c in (await request.json()).get("cells", [])}
        if session.stars and chosen == set(session.stars):
            session.captcha_token = secrets.token_urlsafe(24)
            session.stars = frozenset()
            return JSONResponse({"ok": True, "token": session.captcha_token})
        return JSONResponse({"ok": False})

    async def transfer(self, request: Request) -> Response:
        session = self.session(request)
        session.transfer_nonce = secrets.token_urlsafe(12)
        cancelled = (
            '<p class="notice" data-testid="transfer-cancelled">Transfer cancelled.</p>'
            if request.query_params.get("cancelled")
            else ""
        )
        nonce = session.transfer_nonce
        body = f"""
<h1>Payments</h1>{cancelled}
<div class="card"><p>Transfer <strong>$2,500.00</strong> from Operating ••4821 to <strong>ACME Corp</strong>.</p>
<button type="button" id="send-transfer">Send transfer</button></div>
<div class="backdrop" id="backdrop" hidden></div>
<div class="modal" id="approve-modal" role="alertdialog" aria-modal="true" aria-labelledby="modal-title" hidden>
  <h2 id="modal-title">Authorize this payment?</h2>
  <p>$2,500.00 will be sent to ACME Corp today. This transfer cannot be undone.</p>
  <div class="actions">
    <form method="post" action="/transfer/deny"><input type="hidden" name="nonce" value="{nonce}">
      <button type="submit" class="secondary" id="deny">Deny</button></form>
    <form method="post" action="/transfer/approve"><input type="hidden" name="nonce" value="{nonce}">
      <button type="submit" id="approve">Approve</button></form>
  </div>
</div>
<script>
document.getElementById("send-transfer").addEventListener("click", () => {{
  document.getElementById("backdrop").hidden = false;
  document.getElementById("approve-modal").hidden = false;
}});
</script>"""
        return self.page(session, "Payments · Northwind Ops", body)

    async def transfer_decision(self, request: Request) -> Response:
        session = self.session(request)
        form = await _form(request)
        nonce = str(form.get("nonce") or "")
        if not session.transfer_nonce or not secrets.compare_digest(nonce, session.transfer_nonce):
            return self.page(session, "Payments", "<h1>Payments</h1><p role='alert'>Expired form.</p>", 400)
        session.transfer_nonce = None
        if request.url.path.endswith("/approve"):
            session.passed.add("approval")
            return self.redirect(session, "/dashboard")
        return self.redirect(session, "/transfer?cancelled=1")

    async def dashboard(self, request: Request) -> Response:
        session = self.session(request)
        steps = "".join(
            f'<li data-testid="passed-{step}">&#10003; {step} passed (checked by the server)</li>'
            for step in sorted(session.passed)
        )
        marker = '<p data-testid="dashboard-ok">All clear.</p>' if session.passed else "<p>Nothing passed yet.</p>"
        return self.page(session, "Dashboard · Northwind Ops", f"<h1>Dashboard</h1>{marker}<ul>{steps}</ul>")


async def _form(request: Request) -> dict[str, str]:
    """An urlencoded form body (without python-multipart)."""
    pairs = parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)
    return dict(pairs)


def _layout(title: str, body: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title><style>{_CSS}</style></head>
<body><main>{body}</main></body></html>"""


_CSS = """
body { font: 18px/1.4 system-ui, sans-serif; margin: 0; background: #f4f5f7; color: #17202a; }
main { max-width: 720px; margin: 32px auto; padding: 0 16px; }
.card { background: #fff; padding: 24px; border-radius: 12px; box-shadow: 0 1px 3px #0002; }
label { display: block; margin: 12px 0 4px; font-weight: 600; }
input { font-size: 20px; padding: 8px; width: 260px; }
button { font-size: 18px; padding: 10px 22px; margin-top: 16px; border-radius: 8px; border: 0;
  background: #2456d8; color: #fff; cursor: pointer; }
button.secondary { background: #d8dde6; color: #17202a; }
button:disabled { background: #9aa5b8; }
.boxes { display: flex; gap: 10px; }
.boxes .box { width: 44px; text-align: center; font-size: 26px; }
.error { color: #b00020; }
.backdrop { position: fixed; inset: 0; background: #0009; }
.modal { position: fixed; top: 22%; left: 50%; transform: translateX(-50%); width: 480px; background: #fff;
  padding: 28px; border-radius: 14px; box-shadow: 0 10px 40px #0006; }
.modal .actions { display: flex; gap: 12px; justify-content: flex-end; }
.grid { display: grid; grid-template-columns: repeat(3, 96px); gap: 8px; }
.cell { width: 96px; height: 96px; margin: 0; font-size: 44px; background: #e8ecf4; color: #17202a; }
.cell[aria-pressed="true"] { outline: 5px solid #2456d8; background: #cfe0ff; }
.prompt { font-weight: 700; margin: 0 0 12px; }
.ok { color: #0a7a32; font-weight: 700; font-size: 22px; }
iframe.captcha { width: 360px; height: 470px; border: 1px solid #c8ced8; border-radius: 10px; background: #fff; }
"""

_CAPTCHA_BODY = """
<p>Verify you are human to continue to your dashboard.</p>
<iframe class="captcha" title="captcha challenge" src="/captcha/widget"></iframe>
<form method="post" action="/captcha"><input type="hidden" name="captcha_token" value="">
  <button type="submit" id="captcha-continue">Continue</button></form>"""

_WIDGET_JS = """
document.querySelectorAll(".cell").forEach((cell) => cell.addEventListener("click", () => {
  cell.setAttribute("aria-pressed", cell.getAttribute("aria-pressed") === "true" ? "false" : "true");
}));
document.getElementById("captcha-verify").addEventListener("click", async () => {
  const cells = [...document.querySelectorAll('.cell[aria-pressed="true"]')].map((c) => Number(c.dataset.cell));
  const answer = await fetch("/captcha/verify", {method: "POST", headers: {"Content-Type": "application/json"},
    body: JSON.stringify({cells})}).then((r) => r.json());
  if (!answer.ok) { location.href = "/captcha/widget?retry=1"; return; }
  parent.document.querySelector('input[name="captcha_token"]').value = answer.token;
  document.getElementById("challenge").remove();
  document.getElementById("done").hidden = false;
});
"""

_SPLIT_BOXES_JS = """
const boxes = [...document.querySelectorAll(".box")];
const verify = document.getElementById("verify");
const sync = () => { verify.disabled = !boxes.every((b) => /^\\d$/.test(b.value)); };
boxes.forEach((box, i) => {
  box.addEventListener("input", () => {
    box.value = box.value.replace(/\\D/g, "").slice(-1);
    if (box.value && i < boxes.length - 1) boxes[i + 1].focus();
    sync();
  });
  box.addEventListener("keydown", (e) => {
    if (e.key === "Backspace" && !box.value && i > 0) boxes[i - 1].focus();
  });
});
"""


@contextmanager
def serve_in_thread(site: FixtureSite, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve the site from a background thread (its own event loop); yields its base URL."""
    config = uvicorn.Config(site.app(), host=host, port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="fixture-site", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the fixture site did not start")
        time.sleep(0.01)
    bound = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://{host}:{bound}"
    finally:
        server.should_exit = True
        thread.join(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--port", type=int, default=8070)
    parser.add_argument("--totp-secret", default=pyotp.random_base32())
    parser.add_argument("--password", default="correct horse battery staple")
    args = parser.parse_args()
    site = FixtureSite(args.totp_secret, args.password)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    log.info("fixture site on http://127.0.0.1:%d, TOTP secret %s", args.port, args.totp_secret)
    asyncio.run(uvicorn.Server(uvicorn.Config(site.app(), host="127.0.0.1", port=args.port)).serve())


if __name__ == "__main__":
    main()
