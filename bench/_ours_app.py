"""Our full app (`app.main:app`, configured from BATONPASS_* variables), wrapped in the benchmark timer."""

from _timing import ServerTiming

from app.main import app as batonpass_app

app = ServerTiming(batonpass_app, "POST", "/api/v1/handoffs")
