import { describe, expect, it } from "vitest";

import { timeLeft } from "./countdown";
import { openFailure, slugOf, viewFailure } from "./failures";
import { subscriptionBody, urlBase64ToUint8Array } from "./push";

describe("timeLeft", () => {
  const now = Date.parse("2026-11-25T12:00:00Z");
  it("formats minutes and seconds", () => {
    expect(timeLeft("2026-11-25T12:04:05Z", now)).toMatchObject({ label: "4:05", urgent: false, expired: false });
  });
  it("is urgent under a minute and expired at zero", () => {
    expect(timeLeft("2026-11-25T12:00:59.900Z", now)).toMatchObject({ label: "0:59", urgent: true });
    expect(timeLeft("2026-11-25T11:59:00Z", now)).toMatchObject({ label: "0:00", expired: true });
  });
  it("shows hours when there are any", () => {
    expect(timeLeft("2026-11-25T13:02:03Z", now).label).toBe("1:02:03");
  });
});

describe("failure pages", () => {
  it("recognises the link problems by slug", () => {
    const base = "https://batonpass.dev/problems/";
    expect(openFailure({ status: 410, type: base + "link-expired" }).title).toBe("This link expired — ask for a new one.");
    expect(openFailure({ status: 410, type: base + "link-used" }).title).toBe("This link was already used");
    expect(openFailure({ status: 401, type: base + "invalid-link" }).kind).toBe("invalid-link");
    expect(openFailure({ status: 409, current_state: "expired" }).kind).toBe("handoff-expired");
    expect(openFailure({ status: 409, current_state: "solving" }).kind).toBe("not-waiting");
    expect(openFailure({ status: 0 }).retry).toBe(true);
    expect(slugOf({ status: 400 })).toBe("");
  });
  it("asks for the link when there is no session", () => {
    expect(viewFailure({ status: 401 }).kind).toBe("no-session");
    expect(viewFailure({ status: 500 }).kind).toBe("server-error");
  });
});

describe("push helpers", () => {
  it("decodes a base64url VAPID key", () => {
    expect(Array.from(urlBase64ToUint8Array("AQID_-8"))).toEqual([1, 2, 3, 255, 239]);
  });
  it("builds the subscription body from PushSubscription.toJSON()", () => {
    expect(subscriptionBody({ endpoint: "https://push.example/abc", keys: { p256dh: "p", auth: "a" } })).toEqual({
      endpoint: "https://push.example/abc",
      keys: { p256dh: "p", auth: "a" },
      expirationTime: null,
    });
    expect(() => subscriptionBody({ endpoint: "https://push.example/abc", keys: {} })).toThrow();
  });
});
