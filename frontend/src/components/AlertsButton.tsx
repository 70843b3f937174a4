import { useState } from "react";

import { api, ApiError } from "../api";
import { subscriptionBody, urlBase64ToUint8Array } from "../lib/push";
import { SW_SCOPE } from "../lib/sw-register";
import { Icon } from "./Icon";

type Status = { tone: "idle" | "busy" | "ok" | "warn"; text: string };

function supported(): boolean {
  return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window && window.isSecureContext;
}

function isIos(): boolean {
  return /iPad|iPhone|iPod/.test(navigator.userAgent);
}

async function subscribe(): Promise<Status> {
  if (!supported()) {
    return {
      tone: "warn",
      text: isIos()
        ? "On iPhone, first add this page to your Home Screen (Share → Add to Home Screen), then open it from there."
        : "This browser can't receive alerts. Try Chrome, Edge, Firefox or Safari.",
    };
  }
  // Ask first, while the tap still counts as a user gesture.
  const permission = await Notification.requestPermission();
  if (permission !== "granted") {
    return { tone: "warn", text: "Alerts are blocked. Allow notifications for this site in your browser settings." };
  }
  let key: string;
  try {
    key = (await api.vapidKey()).public_key;
  } catch (error) {
    const status = error instanceof ApiError ? error.problem.status : 0;
    return {
      tone: "warn",
      text: status === 404 ? "Alerts aren't set up on this server yet." : "Couldn't reach the server. Try again.",
    };
  }
  const registration =
    (await navigator.serviceWorker.getRegistration(SW_SCOPE)) ??
    (await navigator.serviceWorker.register("/sw.js", { scope: SW_SCOPE }));
  let subscription: PushSubscription;
  try {
    subscription =
      (await registration.pushManager.getSubscription()) ??
      (await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: urlBase64ToUint8Array(key) }));
  } catch {
    return { tone: "warn", text: "This phone's push service didn't answer. Try again later." };
  }
  try {
    await api.subscribe(subscriptionBody(subscription.toJSON()));
  } catch (error) {
    const problem = error instanceof ApiError ? error.problem : { status: 0 };
    if (problem.status === 404) return { tone: "warn", text: "Alerts aren't set up on this server yet." };
    if (problem.status === 401 || problem.status === 403) {
      return { tone: "warn", text: "Open a handoff link first, then turn alerts on from there." };
    }
    if (problem.status === 409 && "detail" in problem && typeof problem.detail === "string") {
      return { tone: "warn", text: problem.detail };
    }
    return { tone: "warn", text: "Couldn't save alerts for this phone. Try again." };
  }
  return { tone: "ok", text: "Alerts are on for this phone." };
}

export function AlertsButton() {
  const [status, setStatus] = useState<Status>({ tone: "idle", text: "" });
  const onClick = async () => {
    setStatus({ tone: "busy", text: "Turning alerts on…" });
    try {
      setStatus(await subscribe());
    } catch {
      setStatus({ tone: "warn", text: "Couldn't turn alerts on here." });
    }
  };
  return (
    <div className="alerts">
      <button
        type="button"
        className="btn secondary wide"
        data-testid="alerts"
        disabled={status.tone === "busy" || status.tone === "ok"}
        onClick={onClick}
      >
        <Icon name="bell" size={20} /> Get alerts on this phone
      </button>
      {status.text ? (
        <p className={`alerts-status ${status.tone}`} role="status" data-testid="alerts-status">
          {status.text}
        </p>
      ) : null}
    </div>
  );
}
