import { useEffect, useState } from "react";

import type { HandoffOut } from "../api";
import { timeLeft } from "../lib/countdown";

export const TYPE_LABELS: Record<string, string> = {
  twofa: "Verification code",
  approval: "Approval",
  captcha: "CAPTCHA",
  other: "Needs a person",
};

function useNow(intervalMs: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), intervalMs);
    return () => window.clearInterval(timer);
  }, [intervalMs]);
  return now;
}

export function Header({ handoff, live }: { handoff: HandoffOut; live: "live" | "connecting" | "lost" }) {
  const left = timeLeft(handoff.expires_at, useNow(1000));
  return (
    <header className="context" data-testid="context">
      <div className="context-main">
        <span className="chip" data-testid="interruption-type">
          {TYPE_LABELS[handoff.interruption_type] ?? handoff.interruption_type}
        </span>
        <h1 className="domain" data-testid="domain">
          {handoff.domain}
        </h1>
        <p className="agent">
          <span className="muted">Agent</span> <strong data-testid="agent">{handoff.agent_id}</strong>
          {handoff.task ? <span className="task"> · {handoff.task}</span> : null}
        </p>
      </div>
      <div className="context-side">
        <div className={`countdown${left.urgent ? " urgent" : ""}`} data-testid="countdown" aria-label="Time left">
          {left.label}
        </div>
        <div className={`live-dot ${live}`} title={live === "live" ? "Live" : "Reconnecting"} aria-label={live} />
      </div>
    </header>
  );
}
