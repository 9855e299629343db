// Signing this tab in as a device: with Google, when the server at the URL
// offers it (serverInfo.googleSignIn), or with the server's URL and a device
// token (`npm run admin -- add-device <user> <name>` prints one).
import { html, nothing, type TemplateResult } from "lit-html";
import type { Session } from "../session.ts";
import { formText } from "./formText.ts";

export interface SignInState {
  serverUrl: string;
  /** Whether the server at serverUrl offers Google sign-in; null while asking. */
  googleOffered: boolean | null;
  /** Why the last sign-in did not complete. */
  problem: string | null;
}

export interface SignInActions {
  signIn: (session: Session) => void;
  /** The server URL field changed: ask that server what it offers. */
  serverChanged: (serverUrl: string) => void;
  signInWithGoogle: (serverUrl: string, deviceLabel: string) => void;
}

export function signInView(state: SignInState, actions: SignInActions): TemplateResult {
  const form = () => new FormData(document.querySelector<HTMLFormElement>("form.sign-in-form")!);
  const onSubmit = (event: SubmitEvent) => {
    event.preventDefault();
    const fields = new FormData(event.target as HTMLFormElement);
    actions.signIn({
      serverUrl: serverUrlOf(fields),
      token: formText(fields, "token").trim(),
      deviceLabel: formText(fields, "deviceLabel").trim() || "this device",
    });
  };
  const google =
    state.googleOffered === true
      ? html`<section class="google" aria-label="Sign in with Google">
          <button
            type="button"
            class="primary"
            @click=${() => actions.signInWithGoogle(serverUrlOf(form()), formText(form(), "deviceLabel").trim())}
          >
            Sign in with Google
          </button>
          <p class="hint">Google tells the server who you are; this device gets a token of its own.</p>
          <p class="or">or with a device token</p>
        </section>`
      : nothing;
  return html`<main class="sign-in">
    <h1>smsync notes</h1>
    ${state.problem ? html`<p role="alert" class="problem">${state.problem}</p>` : nothing}
    <form class="sign-in-form" @submit=${onSubmit}>
      <label for="server-url">Server URL</label>
      <input
        id="server-url"
        name="serverUrl"
        type="url"
        required
        .value=${state.serverUrl}
        @change=${(event: Event) => actions.serverChanged((event.target as HTMLInputElement).value)}
      />
      <label for="device-label">Name of this device</label>
      <input id="device-label" name="deviceLabel" placeholder="laptop" />
      ${google}
      <label for="device-token">Device token</label>
      <input id="device-token" name="token" type="password" required autocomplete="off" placeholder="smsync_…" />
      <button type="submit" class="primary">Sign in</button>
    </form>
    <p class="hint">A token comes from <code>npm run admin -- add-device &lt;user&gt; &lt;device&gt;</code>.</p>
  </main>`;
}

function serverUrlOf(form: FormData): string {
  return formText(form, "serverUrl").trim().replace(/\/$/, "");
}
