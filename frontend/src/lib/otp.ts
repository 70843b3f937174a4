/** The OTP keypad's logic: digits only, bounded length, submit once long enough. */

export const OTP_MIN = 4;
export const OTP_MAX = 8;

export type KeypadKey = "0" | "1" | "2" | "3" | "4" | "5" | "6" | "7" | "8" | "9" | "back" | "clear";

export interface OtpState {
  digits: string;
  /** How many boxes to draw: the expected code length (6 unless the page said otherwise). */
  length: number;
}

export function initialOtp(length = 6): OtpState {
  return { digits: "", length: Math.min(OTP_MAX, Math.max(OTP_MIN, length)) };
}

export function pressKey(state: OtpState, key: KeypadKey): OtpState {
  if (key === "back") return { ...state, digits: state.digits.slice(0, -1) };
  if (key === "clear") return { ...state, digits: "" };
  if (state.digits.length >= OTP_MAX) return state;
  return { ...state, digits: state.digits + key };
}

/** A pasted or autofilled code: keep its digits ("123 456", "123-456" → "123456"). */
export function pasteCode(state: OtpState, text: string): OtpState {
  const digits = text.replace(/\D/g, "").slice(0, OTP_MAX);
  return digits ? { ...state, digits } : state;
}

export function canSubmit(state: OtpState): boolean {
  return state.digits.length >= OTP_MIN && state.digits.length <= OTP_MAX;
}

/** The boxes to render: one per expected digit, growing if the operator types a longer code. */
export function boxes(state: OtpState): string[] {
  const count = Math.max(state.length, state.digits.length);
  return Array.from({ length: count }, (_, i) => state.digits[i] ?? "");
}

/** Expected code length from the handoff's metadata (e.g. the SDK's detector), else 6. */
export function expectedLength(metadata: Record<string, unknown> | undefined): number {
  const detector = metadata?.["detector"];
  const hint =
    (typeof metadata?.["otp_length"] === "number" && metadata["otp_length"]) ||
    (detector && typeof detector === "object" && typeof (detector as Record<string, unknown>)["otp_length"] === "number"
      ? ((detector as Record<string, unknown>)["otp_length"] as number)
      : undefined);
  return typeof hint === "number" && hint >= OTP_MIN && hint <= OTP_MAX ? hint : 6;
}
