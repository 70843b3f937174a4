"""The agent's side of the tests: small pages with a 2FA form, a tap-to-solve widget and an approval modal.

Each page reports its outcome in `document.body.dataset.outcome`, so a test knows the agent really got through.
"""

TWOFA_CODE = "424242"

_STYLE = """<style>
body { font: 18px system-ui, sans-serif; margin: 0; background: #f1f5f9; color: #0f172a; }
main { width: 520px; margin: 90px auto; background: #fff; padding: 36px; border-radius: 16px;
       box-shadow: 0 8px 30px rgb(0 0 0 / 10%); }
h1 { margin: 0 0 12px; font-size: 30px; }
input { font-size: 28px; width: 100%; padding: 12px; box-sizing: border-box; letter-spacing: 6px; }
input:focus { outline: 4px solid #2563eb; }
button { font-size: 22px; padding: 12px 28px; margin-top: 18px; border-radius: 10px; border: 0;
         background: #2563eb; color: #fff; }
.grid { display: grid; grid-template-columns: repeat(3, 120px); gap: 12px; margin: 16px 0; }
.tile { height: 120px; border-radius: 10px; background: #cbd5e1; border: 6px solid transparent; }
.tile.target { background: #22c55e; }
.tile.on { border-color: #1d4ed8; }
.modal { position: fixed; inset: 0; background: rgb(15 23 42 / 55%); display: grid; place-items: center; }
.dialog { background: #fff; padding: 36px; border-radius: 16px; width: 520px; }
.deny { background: #64748b; }
</style>"""

TWOFA_PAGE = f"""<!doctype html><html><head><title>2-Step Verification</title>{_STYLE}</head><body>
<main><h1>2-Step Verification</h1><p>Enter the 6-digit code from your authenticator app.</p>
<form id="f"><label for="otp">Verification code</label>
<input id="otp" name="otp" autocomplete="one-time-code" inputmode="numeric" maxlength="6">
<button type="submit">Verify</button></form></main>
<script>
document.getElementById("f").addEventListener("submit", (e) => {{
  e.preventDefault();
  const ok = document.getElementById("otp").value === "{TWOFA_CODE}";
  document.body.dataset.outcome = ok ? "dashboard" : "wrong-code";
  document.querySelector("main").innerHTML = ok
    ? "<h1>Dashboard</h1><p>Welcome back. Q3 pipeline report ready.</p>"
    : "<h1>Wrong code</h1>";
}});
</script></body></html>"""

CAPTCHA_PAGE = f"""<!doctype html><html><head><title>Are you human?</title>{_STYLE}</head><body>
<main><h1>Select the green square</h1><p>Then type the word <b>baton</b> and press Enter.</p>
<div class="grid">{
    "".join(f'<div class="tile{" target" if i == 4 else ""}" id="tile-{i}"></div>' for i in range(9))
}</div>
<input id="word" autocomplete="off"></main>
<script>
for (const tile of document.querySelectorAll(".tile")) {{
  tile.addEventListener("click", () => tile.classList.toggle("on"));
}}
document.getElementById("word").addEventListener("keydown", (e) => {{
  if (e.key !== "Enter") return;
  const picked = [...document.querySelectorAll(".tile.on")].map((t) => t.id);
  const ok = picked.length === 1 && picked[0] === "tile-4" && e.target.value === "baton";
  document.body.dataset.outcome = ok ? "verified" : "rejected";
  document.querySelector("h1").textContent = ok ? "Verified — welcome" : "Try again";
}});
</script></body></html>"""

APPROVAL_PAGE = f"""<!doctype html><html><head><title>Confirm payment</title>{_STYLE}</head><body>
<main><h1>Checkout</h1><p>Order #1042 — 3 items.</p></main>
<div class="modal" role="alertdialog" aria-labelledby="t"><div class="dialog">
<h1 id="t">Approve this payment of $1,240.00?</h1><p>A new device is trying to pay with your card.</p>
<button class="deny" data-deny>Deny</button> <button data-approve>Approve payment</button></div></div>
<script>
document.querySelector("[data-approve]").addEventListener("click", () => {{
  document.body.dataset.outcome = "paid"; document.querySelector(".modal").remove();
  document.querySelector("main").innerHTML = "<h1>Payment approved</h1>";
}});
document.querySelector("[data-deny]").addEventListener("click", () => {{
  document.body.dataset.outcome = "denied"; document.querySelector(".modal").remove();
}});
</script></body></html>"""
