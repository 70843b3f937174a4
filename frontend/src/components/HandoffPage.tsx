import { useCallback, useEffect, useRef, useState } from "react";

import { api, ApiError, type FrameOut, type OperatorView, type RelayAction, type ResolutionAction } from "../api";
import { openFailure, stateFailure, viewFailure, type Failure, type Problem } from "../lib/failures";
import type { PagePoint } from "../lib/mapping";
import { expectedLength } from "../lib/otp";
import { AlertsButton } from "./AlertsButton";
import { Confetti } from "./Confetti";
import { Decision } from "./Decision";
import { FailurePage } from "./FailurePage";
import { Header } from "./Header";
import { OtpKeypad } from "./OtpKeypad";
import { RemoteControls } from "./RemoteControls";
import { Screen, type Tap } from "./Screen";

const STATES = [
  "created", "detected", "frozen", "notified", "opened", "solving", "solved",
  "resume_requested", "resumed", "completed", "expired", "failed", "escalated",
] as const;
const TERMINAL = new Set(["completed", "expired", "failed"]);
const INTERACTIVE = new Set(["opened", "solving"]);
const DONE = new Set(["resumed", "completed"]);

// Read once, before anything can rewrite the URL: the single-use token of the link that opened this page.
const INITIAL_TOKEN = new URLSearchParams(window.location.search).get("t");
const opening = new Map<string, Promise<void>>();

function asProblem(error: unknown): Problem {
  return error instanceof ApiError ? error.problem : { status: 0 };
}

/** Redeem the link once per page load (React may run effects twice), and take the token out of the URL. */
function openOnce(handoffId: string, token: string): Promise<void> {
  let pending = opening.get(token);
  if (!pending) {
    const url = new URL(window.location.href);
    url.searchParams.delete("t");
    window.history.replaceState(window.history.state, "", url.pathname + url.search + url.hash);
    pending = api.open(handoffId, token).then(
      () => undefined,
      (error: unknown) => {
        // Never reached the server: the token is still unused, so "Try again" may post it again.
        if (asProblem(error).status === 0) opening.delete(token);
        throw error;
      },
    );
    opening.set(token, pending);
  }
  return pending;
}

async function load(handoffId: string): Promise<OperatorView | Failure> {
  if (INITIAL_TOKEN) {
    try {
      await openOnce(handoffId, INITIAL_TOKEN);
    } catch (error) {
      const problem = asProblem(error);
      if (problem.status === 0) return openFailure(problem);
      // Opened earlier on this phone (a reload, a second tap on the alert)? Its session still works.
      try {
        return await api.view(handoffId);
      } catch {
        return openFailure(problem);
      }
    }
  }
  try {
    return await api.view(handoffId);
  } catch (error) {
    return viewFailure(asProblem(error));
  }
}

type Phase = { kind: "loading" } | { kind: "failed"; failure: Failure } | { kind: "ready"; view: OperatorView };

export function HandoffPage({ handoffId }: { handoffId: string }) {
  const [phase, setPhase] = useState<Phase>({ kind: "loading" });
  const [attempt, setAttempt] = useState(0);
  const [state, setState] = useState("");
  const [frame, setFrame] = useState<FrameOut | null>(null);
  const [lastSent, setLastSent] = useState(0);
  const [tap, setTap] = useState<Tap | null>(null);
  const [submitted, setSubmitted] = useState(false);
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [live, setLive] = useState<"live" | "connecting" | "lost">("connecting");
  const solvingSent = useRef(false);

  useEffect(() => {
    let current = true;
    setPhase({ kind: "loading" });
    load(handoffId).then((result) => {
      if (!current) return;
      if ("kind" in result) {
        setPhase({ kind: "failed", failure: result });
        return;
      }
      setState(result.handoff.state);
      setFrame(result.latest_frame ?? null);
      setLastSent(result.last_action_seq);
      setPhase({ kind: "ready", view: result });
    });
    return () => {
      current = false;
    };
  }, [handoffId, attempt]);

  // Live updates: lifecycle events and new frames. The stream authenticates with the session cookie.
  const [streamGeneration, setStreamGeneration] = useState(0);
  useEffect(() => {
    if (phase.kind !== "ready") return;
    const source = new EventSource(api.eventsUrl(handoffId));
    let retry = 0;
    // The stream replays the whole history on connect; what happened before the loaded state is old news.
    const loadedAt = Date.parse(phase.view.handoff.updated_at);
    const onLifecycle = (event: MessageEvent<string>) => {
      const data = JSON.parse(event.data) as { state: string; occurred_at: string };
      if (Date.parse(data.occurred_at) < loadedAt) return;
      setState(data.state);
      if (TERMINAL.has(data.state)) source.close();
    };
    for (const name of STATES) source.addEventListener(`handoff.${name}`, onLifecycle);
    source.addEventListener("relay.frame", (event: MessageEvent<string>) => {
      setFrame(JSON.parse(event.data) as FrameOut);
    });
    source.onopen = () => setLive("live");
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED) {
        setLive("lost");
        retry = window.setTimeout(() => setStreamGeneration((n) => n + 1), 3000);
      } else {
        setLive("connecting");
      }
    };
    return () => {
      window.clearTimeout(retry);
      source.close();
    };
  }, [phase, handoffId, streamGeneration]);

  // The tap marker stays until a frame shows the page after that tap.
  useEffect(() => {
    if (tap?.seq != null && frame && frame.seq >= tap.seq) setTap(null);
  }, [frame, tap]);

  useEffect(() => {
    if (!notice) return;
    const timer = window.setTimeout(() => setNotice(null), 4000);
    return () => window.clearTimeout(timer);
  }, [notice]);

  const firstTouch = useCallback(() => {
    if (solvingSent.current || state !== "opened") return;
    solvingSent.current = true;
    api.solving(handoffId).then(
      (handoff) => setState(handoff.state),
      () => undefined, // already solving (a relay action got there first): nothing to do
    );
  }, [handoffId, state]);

  const send = useCallback(
    async (action: RelayAction, point?: PagePoint) => {
      solvingSent.current = true;
      if (point) setTap({ point, seq: null });
      try {
        const out = await api.act(handoffId, action);
        setLastSent((seq) => Math.max(seq, out.seq));
        setState((previous) => (previous === "opened" ? out.handoff_state : previous));
        if (point) setTap({ point, seq: out.seq });
      } catch (error) {
        if (point) setTap(null);
        setNotice(asProblem(error).detail ?? "That didn't reach the agent. Try again.");
      }
    },
    [handoffId],
  );

  const resolve = useCallback(
    async (action: ResolutionAction) => {
      setBusy(true);
      try {
        const handoff = await api.resolve(handoffId, action);
        setSubmitted(true);
        setState(handoff.state);
      } catch (error) {
        const problem = asProblem(error);
        setNotice(problem.detail ?? "That didn't go through. Try again.");
        if (problem.current_state) setState(problem.current_state);
      } finally {
        setBusy(false);
      }
    },
    [handoffId],
  );

  if (phase.kind === "loading") {
    return (
      <main className="page loading" data-testid="loading">
        <div className="spinner" aria-label="Opening the handoff" />
      </main>
    );
  }
  if (phase.kind === "failed") {
    return <FailurePage failure={phase.failure} onRetry={() => setAttempt((n) => n + 1)} />;
  }

  const { view } = phase;
  const handoff = { ...view.handoff, state: state as typeof view.handoff.state };
  const ended = stateFailure(state);
  if (ended) return <FailurePage failure={ended} />;

  const interactive = INTERACTIVE.has(state) && !submitted;
  const done = DONE.has(state);
  const viewport = frame?.viewport ?? view.viewport ?? null;
  const src = frame?.url ?? view.screenshot_url ?? null;
  const pending = interactive && lastSent > (frame?.seq ?? 0);
  const type = handoff.interruption_type;

  return (
    <main className="page handoff" data-testid="handoff" data-state={state}>
      <Header handoff={handoff} live={live} />
      <div className="scroll">
        <Screen
          src={src}
          frameSeq={frame?.seq ?? null}
          viewport={viewport}
          interactive={interactive}
          pending={pending}
          tap={tap}
          onTap={(point) => send({ type: "click", x: point.x, y: point.y }, point)}
        />
        {interactive && (type === "twofa" || type === "approval") ? (
          <p className="hint small">You can also tap the picture to click on the agent's page.</p>
        ) : null}
        {done || !interactive ? <AlertsButton /> : null}
      </div>
      {notice ? (
        <div className="toast" role="alert" data-testid="notice">
          {notice}
        </div>
      ) : null}
      <div className="dock" data-testid="controls">
        {done ? (
          <div className="status-card success" data-testid="done-card">
            <strong>Done — the agent took it from here.</strong>
            <span>Thank you! You can close this page.</span>
          </div>
        ) : !interactive ? (
          <div className="status-card" data-testid="waiting-card">
            <div className="spinner small" aria-hidden="true" />
            <span>
              {state === "notified" || state === "escalated"
                ? "Waiting for this handoff to open…"
                : "Sent. Waiting for the agent to resume…"}
            </span>
          </div>
        ) : type === "twofa" ? (
          <OtpKeypad
            length={expectedLength(handoff.metadata as Record<string, unknown>)}
            busy={busy}
            onFirstTouch={firstTouch}
            onSubmit={(code) => resolve({ type: "otp", code })}
          />
        ) : type === "approval" ? (
          <Decision domain={handoff.domain} busy={busy} onDecide={(decision) => resolve({ type: decision })} />
        ) : (
          <RemoteControls busy={busy} onAction={(action) => send(action)} onDone={() => resolve({ type: "done" })} />
        )}
      </div>
      {done ? <Confetti /> : null}
    </main>
  );
}

