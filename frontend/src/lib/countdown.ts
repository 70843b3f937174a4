/** Time left until the handoff expires, for the header. */

export interface TimeLeft {
  seconds: number;
  label: string;
  urgent: boolean;
  expired: boolean;
}

export function timeLeft(expiresAt: string, nowMs: number): TimeLeft {
  const ms = Date.parse(expiresAt) - nowMs;
  const seconds = Number.isFinite(ms) ? Math.max(0, Math.floor(ms / 1000)) : 0;
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const secs = seconds % 60;
  const mmss = `${minutes}:${String(secs).padStart(2, "0")}`;
  return {
    seconds,
    label: hours > 0 ? `${hours}:${String(minutes).padStart(2, "0")}:${String(secs).padStart(2, "0")}` : mmss,
    urgent: seconds < 60,
    expired: seconds === 0,
  };
}
