/** Registers the service worker (offline shell, push alerts) for the /m/ scope. */
export const SW_SCOPE = "/m/";

export function registerServiceWorker(): void {
  if (!("serviceWorker" in navigator) || !window.isSecureContext) return;
  window.addEventListener("load", () => {
    navigator.serviceWorker.register("/sw.js", { scope: SW_SCOPE }).catch(() => {
      // The page works without it: only offline start-up and push alerts are lost.
    });
  });
}
