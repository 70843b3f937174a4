import { useState, type FormEvent } from "react";

import type { RelayAction } from "../api";

const KEYS: { key: "Tab" | "Backspace" | "Enter"; label: string }[] = [
  { key: "Tab", label: "Tab ⇥" },
  { key: "Backspace", label: "⌫" },
  { key: "Enter", label: "Enter ⏎" },
];

export function RemoteControls({
  busy,
  onAction,
  onDone,
}: {
  busy: boolean;
  onAction: (action: RelayAction) => void;
  onDone: () => void;
}) {
  const [text, setText] = useState("");
  const sendText = (event: FormEvent) => {
    event.preventDefault();
    if (!text) return;
    onAction({ type: "type", text });
    setText("");
  };
  return (
    <div className="remote" data-testid="remote">
      <p className="hint">Tap the picture where you would click. Type below to send text to the page.</p>
      <form className="type-row" onSubmit={sendText}>
        <input
          type="text"
          value={text}
          onChange={(event) => setText(event.target.value)}
          placeholder="Text to type"
          aria-label="Text to type on the page"
          data-testid="type-input"
          autoComplete="off"
          autoCapitalize="off"
          autoCorrect="off"
          spellCheck={false}
          enterKeyHint="send"
          maxLength={2000}
        />
        <button type="submit" className="btn" data-testid="type-send" disabled={!text}>
          Send
        </button>
      </form>
      <div className="key-row">
        {KEYS.map(({ key, label }) => (
          <button
            key={key}
            type="button"
            className="btn secondary"
            data-testid={`press-${key}`}
            onClick={() => onAction({ type: "press", key })}
          >
            {label}
          </button>
        ))}
      </div>
      <button type="button" className="btn primary wide" data-testid="done" disabled={busy} onClick={onDone}>
        Done — I solved it
      </button>
    </div>
  );
}
