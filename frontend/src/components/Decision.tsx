export function Decision({
  domain,
  busy,
  onDecide,
}: {
  domain: string;
  busy: boolean;
  onDecide: (decision: "approve" | "deny") => void;
}) {
  return (
    <div className="decision" data-testid="decision">
      <p className="hint">
        The agent is asking to go ahead on <strong>{domain}</strong>. Check the screen, then decide.
      </p>
      <div className="decision-buttons">
        <button type="button" className="btn danger" data-testid="deny" disabled={busy} onClick={() => onDecide("deny")}>
          Deny
        </button>
        <button
          type="button"
          className="btn success"
          data-testid="approve"
          disabled={busy}
          onClick={() => onDecide("approve")}
        >
          Approve
        </button>
      </div>
    </div>
  );
}
