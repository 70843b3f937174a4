/** The few API calls the phone makes; request and response shapes come from the backend's OpenAPI. */

import type { components, paths } from "./client/schema";
import type { Problem } from "./lib/failures";

export type HandoffOut = components["schemas"]["HandoffOut"];
export type OperatorView = components["schemas"]["OperatorView"];
export type FrameOut = components["schemas"]["FrameOut"];
export type OpenedOut = components["schemas"]["OpenedOut"];
export type ResolutionAction = components["schemas"]["ResolveBody"]["action"];
export type RelayAction =
  paths["/api/v1/handoffs/{handoff_id}/actions"]["post"]["requestBody"]["content"]["application/json"];
export type RelayActionOut = components["schemas"]["RelayActionOut"];
export type SubscriptionIn = components["schemas"]["PushSubscriptionIn"];

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title ?? `HTTP ${problem.status}`);
  }
}

async function call<T>(method: "GET" | "POST", path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      credentials: "same-origin",
      cache: "no-store",
      headers: body === undefined ? { Accept: "application/json" } : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError({ status: 0, title: "Offline", detail: "The server could not be reached." });
  }
  if (!response.ok) {
    let problem: Problem = { status: response.status, title: response.statusText };
    try {
      problem = { ...(await response.json()), status: response.status };
    } catch {
      // Not JSON (a proxy's error page): the status alone decides what the person sees.
    }
    throw new ApiError(problem);
  }
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

const base = (id: string) => `/api/v1/handoffs/${encodeURIComponent(id)}`;

export const api = {
  open: (id: string, token: string) => call<OpenedOut>("POST", `${base(id)}/open`, { token }),
  view: (id: string) => call<OperatorView>("GET", `${base(id)}/view`),
  solving: (id: string) => call<HandoffOut>("POST", `${base(id)}/solving`),
  resolve: (id: string, action: ResolutionAction) => call<HandoffOut>("POST", `${base(id)}/resolve`, { action }),
  act: (id: string, action: RelayAction) => call<RelayActionOut>("POST", `${base(id)}/actions`, action),
  eventsUrl: (id: string) => `${base(id)}/events`,
  vapidKey: () => call<components["schemas"]["VapidKeyOut"]>("GET", "/api/v1/push/vapid-public-key"),
  subscribe: (body: SubscriptionIn) => call<unknown>("POST", "/api/v1/operators/me/push-subscriptions", body),
};
