// The service worker (public/sw.js) that keeps the app's own files, so that
// the page loads again while offline, with its edits (in IndexedDB).
export function registerOfflineShell(): void {
  if (!("serviceWorker" in navigator)) return;
  navigator.serviceWorker.register("/sw.js").catch((error: unknown) => console.warn("no offline shell:", error));
}
