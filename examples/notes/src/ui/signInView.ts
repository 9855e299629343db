// Signing this tab in as a device: the server's URL and the device's token
// (`npm run admin -- add-device <user> <name>` prints one).
import { html, type TemplateResult } from "lit-html";
import type { Session } from "../session.ts";
import { formText } from "./formText.ts";

export function signInView(signIn: (session: Session) => void): TemplateResult {
  const onSubmit = (event: SubmitEvent) => {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    signIn({
      serverUrl: formText(form, "serverUrl").replace(/\/$/, ""),
      token: formText(form, "token").trim(),
      deviceLabel: formText(form, "deviceLabel").trim() || "this device",
    });
  };
  return html`<main class="sign-in">
    <h1>smsync notes</h1>
    <form @submit=${onSubmit}>
      <label for="server-url">Server URL</label>
      <input id="server-url" name="serverUrl" type="url" required value="http://127.0.0.1:4000" />
      <label for="device-token">Device token</label>
      <input id="device-token" name="token" type="password" required autocomplete="off" placeholder="smsync_…" />
      <label for="device-label">Name of this device</label>
      <input id="device-label" name="deviceLabel" placeholder="laptop" />
      <button type="submit" class="primary">Sign in</button>
    </form>
    <p class="hint">A token comes from <code>npm run admin -- add-device &lt;user&gt; &lt;device&gt;</code>.</p>
  </main>`;
}
