import { useEffect, useState } from "react";

import { boxes, canSubmit, initialOtp, pasteCode, pressKey, type KeypadKey } from "../lib/otp";

const ROWS: KeypadKey[][] = [
  ["1", "2", "3"],
  ["4", "5", "6"],
  ["7", "8", "9"],
];

export function OtpKeypad({
  length,
  busy,
  onFirstTouch,
  onSubmit,
}: {
  length: number;
  busy: boolean;
  onFirstTouch: () => void;
  onSubmit: (code: string) => void;
}) {
  const [otp, setOtp] = useState(() => initialOtp(length));
  const press = (key: KeypadKey) => {
    onFirstTouch();
    setOtp((state) => pressKey(state, key));
  };
  const submit = () => {
    if (canSubmit(otp) && !busy) onSubmit(otp.digits);
  };

  // A hardware keyboard or a paste (e.g. SMS autofill on a desktop) works too.
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.target instanceof HTMLInputElement) return;
      if (/^[0-9]$/.test(event.key)) press(event.key as KeypadKey);
      else if (event.key === "Backspace") press("back");
      else if (event.key === "Enter") submit();
    };
    const onPaste = (event: ClipboardEvent) => {
      const text = event.clipboardData?.getData("text") ?? "";
      onFirstTouch();
      setOtp((state) => pasteCode(state, text));
    };
    window.addEventListener("keydown", onKey);
    window.addEventListener("paste", onPaste);
    return () => {
      window.removeEventListener("keydown", onKey);
      window.removeEventListener("paste", onPaste);
    };
  });

  return (
    <div className="otp" data-testid="otp">
      <div className="otp-boxes" data-testid="otp-display" aria-label={`Code: ${otp.digits.split("").join(" ")}`}>
        {boxes(otp).map((digit, index) => (
          <span key={index} className={`otp-box${digit ? " filled" : ""}${index === otp.digits.length ? " cursor" : ""}`}>
            {digit}
          </span>
        ))}
      </div>
      <div className="keypad" role="group" aria-label="Code keypad">
        {ROWS.flat().map((key) => (
          <button key={key} type="button" className="key" data-testid={`otp-key-${key}`} onClick={() => press(key)}>
            {key}
          </button>
        ))}
        <button
          type="button"
          className="key secondary"
          data-testid="otp-backspace"
          aria-label="Delete last digit"
          onClick={() => press("back")}
        >
          ⌫
        </button>
        <button type="button" className="key" data-testid="otp-key-0" onClick={() => press("0")}>
          0
        </button>
        <button
          type="button"
          className="key primary"
          data-testid="otp-submit"
          disabled={!canSubmit(otp) || busy}
          onClick={submit}
        >
          {busy ? "…" : "Submit"}
        </button>
      </div>
    </div>
  );
}
