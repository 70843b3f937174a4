/** Every way opening a handoff can fail, as a phone-sized page a person understands. */

export interface Problem {
  status: number;
  type?: string;
  title?: string;
  detail?: string;
  current_state?: string;
  [key: string]: unknown;
}

export type FailureKind =
  | "link-expired"
  | "link-used"
  | "invalid-link"
  | "not-waiting"
  | "not-found"
  | "no-session"
  | "offline"
  | "handoff-expired"
  | "handoff-failed"
  | "server-error";

export type FailureIcon =
  | "clock"
  | "lock"
  | "alert"
  | "wave"
  | "search"
  | "key"
  | "offline"
  | "hourglass"
  | "stop"
  | "tool";

export interface Failure {
  kind: FailureKind;
  icon: FailureIcon;
  title: string;
  message: string;
  retry: boolean;
}

export function slugOf(problem: Problem): string {
  const type = problem.type ?? "";
  return type.slice(type.lastIndexOf("/") + 1);
}

const PAGES: Record<FailureKind, Omit<Failure, "kind">> = {
  "link-expired": {
    icon: "clock",
    title: "This link expired — ask for a new one.",
    message: "Alert links work for a short time only, so an old message can't be used by someone else.",
    retry: false,
  },
  "link-used": {
    icon: "lock",
    title: "This link was already used",
    message: "Each link opens the handoff once. If that wasn't you, tell your team right away.",
    retry: false,
  },
  "invalid-link": {
    icon: "alert",
    title: "This link isn't valid",
    message: "It may have been cut off when it was copied. Open it again straight from your alert.",
    retry: false,
  },
  "not-waiting": {
    icon: "wave",
    title: "This handoff is no longer waiting",
    message: "Someone else may have picked it up, or it was already solved or cancelled.",
    retry: false,
  },
  "not-found": {
    icon: "search",
    title: "Handoff not found",
    message: "Check that you opened the whole link from your alert.",
    retry: false,
  },
  "no-session": {
    icon: "key",
    title: "Open the link from your alert",
    message: "This page needs the one-time link that was sent to your phone.",
    retry: false,
  },
  offline: {
    icon: "offline",
    title: "You're offline",
    message: "Check your connection, then try again.",
    retry: true,
  },
  "handoff-expired": {
    icon: "hourglass",
    title: "This handoff expired",
    message: "It waited too long for a person. The agent has been told; nothing else is needed from you.",
    retry: false,
  },
  "handoff-failed": {
    icon: "stop",
    title: "This handoff was cancelled",
    message: "The agent or your team stopped it. Nothing else is needed from you.",
    retry: false,
  },
  "server-error": {
    icon: "tool",
    title: "Something went wrong on our side",
    message: "Nothing was changed. Try again in a moment.",
    retry: true,
  },
};

export function failure(kind: FailureKind): Failure {
  return { kind, ...PAGES[kind] };
}

/** What a failed `POST /open` means for the person holding the phone. */
export function openFailure(problem: Problem): Failure {
  const slug = slugOf(problem);
  if (problem.status === 0) return failure("offline");
  if (slug === "link-expired") return failure("link-expired");
  if (slug === "link-used") return failure("link-used");
  if (problem.status === 410) return failure("link-expired");
  if (problem.status === 401) return failure("invalid-link");
  if (problem.status === 409) return stateFailure(problem.current_state) ?? failure("not-waiting");
  if (problem.status === 404) return failure("not-found");
  if (problem.status === 422) return failure("invalid-link");
  return failure("server-error");
}

/** What a failed load of the handoff (with the session cookie) means. */
export function viewFailure(problem: Problem): Failure {
  if (problem.status === 0) return failure("offline");
  if (problem.status === 401 || problem.status === 403) return failure("no-session");
  if (problem.status === 404 || problem.status === 422) return failure("not-found");
  return failure("server-error");
}

/** Terminal states that end the page. */
export function stateFailure(state: string | undefined): Failure | null {
  if (state === "expired") return failure("handoff-expired");
  if (state === "failed") return failure("handoff-failed");
  return null;
}
