// Who this tab signs in as: a server URL and a device token, pasted into the
// sign-in form or handed over in the URL's fragment (what `npm run demo`
// prints). Kept in sessionStorage, which is per tab: two tabs of one browser
// can be two devices, and a reload keeps the tab signed in.
export interface Session {
  serverUrl: string;
  token: string;
  /** What the person calls this device (shown in the header). */
  deviceLabel: string;
}

const storageKey = "smsync-notes.session";

export function loadSession(): Session | null {
  const fromFragment = sessionFromFragment(location.hash);
  if (fromFragment) {
    saveSession(fromFragment);
    // The token leaves the address bar (and the history) once it is stored.
    history.replaceState(null, "", location.pathname + location.search);
    return fromFragment;
  }
  const saved = sessionStorage.getItem(storageKey);
  return saved ? (JSON.parse(saved) as Session) : null;
}

export function saveSession(session: Session): void {
  sessionStorage.setItem(storageKey, JSON.stringify(session));
}

const serverKey = "smsync-notes.serverUrl";

/** The server this browser signed in to last, for the sign-in form (it comes back from Google too). */
export function lastServerUrl(): string | null {
  return localStorage.getItem(serverKey);
}

export function rememberServerUrl(serverUrl: string): void {
  localStorage.setItem(serverKey, serverUrl);
}

export function forgetSession(): void {
  sessionStorage.removeItem(storageKey);
}

/** `#server=<url>&token=<token>&device=<label>`: a fragment is never sent to a server. */
function sessionFromFragment(hash: string): Session | null {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  const serverUrl = params.get("server");
  const token = params.get("token");
  if (!serverUrl || !token) return null;
  return { serverUrl, token, deviceLabel: params.get("device") ?? "this device" };
}

/**
 * The name of this device's IndexedDB databases: one per server and token,
 * so that two devices signed in in two tabs of one browser keep apart.
 */
export async function storageNameOf(session: Session): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(`${session.serverUrl}\n${session.token}`),
  );
  const hex = [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
  return `smsync-notes-${hex.slice(0, 16)}`;
}
