// The app's start: sign in (or take the session this tab has), open the
// app's database and the SDK's client for this device, follow its events,
// start live mode, and render on every change.
import { render } from "lit-html";
import { NotesDb } from "./localFiles/notesDb.ts";
import { NotesActions } from "./notesActions.ts";
import {
  forgetSession,
  lastServerUrl,
  loadSession,
  rememberServerUrl,
  saveSession,
  storageNameOf,
  type Session,
} from "./session.ts";
import { Store } from "./state.ts";
import { ConflictQueue } from "./sync/conflictQueue.ts";
import { holdDeviceLock } from "./sync/deviceLock.ts";
import { followClient } from "./sync/followClient.ts";
import { keepLive } from "./sync/keepLive.ts";
import { openNotesClient } from "./sync/openNotesClient.ts";
import { appView } from "./ui/appView.ts";
import { syncDialogOpen } from "./ui/conflictDialog.ts";
import { signInView, type SignInActions, type SignInState } from "./ui/signInView.ts";
import { sessionFromGoogleReturn, signInWithGoogle } from "./googleSignIn.ts";
import { googleSignInOffer } from "@smsync/client/browser";
import { registerOfflineShell } from "./offlineShell.ts";
import "./styles.css";

const root = document.getElementById("app")!;
/** The sign-in form's first guess: the server `npm start` runs. */
const defaultServerUrl = "http://127.0.0.1:4000";

async function start(session: Session): Promise<void> {
  const storageName = await storageNameOf(session);
  if (!(await holdDeviceLock(storageName))) {
    root.textContent = `${session.deviceLabel} is open in another tab of this browser: use that tab, or close it and reload.`;
    return;
  }
  const db = await NotesDb.open(`${storageName}.app`);
  const store = new Store({
    deviceLabel: session.deviceLabel,
    files: [],
    selected: null,
    mode: "idle",
    modeError: null,
    online: navigator.onLine,
    live: "starting",
    liveError: null,
    progress: null,
    pendingUploads: 0,
    arrivals: [],
    conflicts: [],
    problem: null,
    busy: 0,
  });
  const conflicts = new ConflictQueue((waiting) => store.update({ conflicts: waiting }));
  const client = await openNotesClient(session, storageName, db, conflicts, {
    arrived: (text) =>
      store.update({
        arrivals: [{ id: Date.now() + Math.random(), text, at: new Date() }, ...store.state.arrivals].slice(0, 50),
      }),
    // Called during a sync pass, which starts only once `notes` below is set.
    keepCopy: (local) => notes.run(notes.keepCopy(local)),
  });
  const notes = new NotesActions(client, db, store);
  const refresh = () => notes.run(Promise.resolve());
  followClient(client, store, refresh);
  window.addEventListener("online", () => store.update({ online: true }));
  window.addEventListener("offline", () => store.update({ online: false }));

  const draw = () => {
    render(
      appView(store.state, {
        select: (fileUUID) => store.update({ selected: fileUUID, problem: null }),
        close: () => store.update({ selected: null, problem: null }),
        newNote: () => notes.run(notes.newNote()),
        attach: (files) => notes.run(notes.addAttachments(files)),
        saveNote: (fileUUID, name, text) => notes.run(notes.saveNote(fileUUID, name, text)),
        rename: (fileUUID, name) => notes.run(notes.renameAttachment(fileUUID, name)),
        delete: (fileUUID) => notes.run(notes.delete(fileUUID)),
        reset: () => notes.run(notes.reset()),
        signOut: () => {
          forgetSession();
          // Signed out either way: a failure to close leaves nothing this tab still uses.
          client
            .close()
            .catch((error: unknown) => console.warn("closing the client failed:", error))
            .finally(() => location.reload());
        },
      }),
      root,
    );
    syncDialogOpen(document.querySelector<HTMLDialogElement>("#conflict-dialog"), store.state.conflicts.length > 0);
  };
  store.subscribe(draw);
  draw();
  store.update({ mode: client.mode });
  refresh();
  keepLive(client, (error) => console.info("live mode not started yet:", error));
}

function showSignIn(problem: string | null = null): void {
  const state: SignInState = { serverUrl: lastServerUrl() ?? defaultServerUrl, googleOffered: null, problem };
  const draw = () => render(signInView(state, actions), root);
  const askServer = (serverUrl: string) => {
    Object.assign(state, { serverUrl, googleOffered: null });
    draw();
    googleSignInOffer(serverUrl).then(
      (offer) => {
        // An answer for a URL the person has since changed is not theirs.
        if (state.serverUrl === serverUrl) Object.assign(state, { googleOffered: offer !== null });
        draw();
      },
      () => {
        if (state.serverUrl === serverUrl) Object.assign(state, { googleOffered: false });
        draw();
      },
    );
  };
  const actions: SignInActions = {
    signIn: (session) => {
      rememberServerUrl(session.serverUrl);
      saveSession(session);
      start(session).catch(showFailure);
    },
    serverChanged: askServer,
    signInWithGoogle: (serverUrl, deviceLabel) => {
      rememberServerUrl(serverUrl);
      signInWithGoogle(serverUrl, deviceLabel).catch((error: unknown) => {
        state.problem = `Google sign-in did not start: ${messageOf(error)}`;
        draw();
      });
    },
  };
  askServer(state.serverUrl);
}

function showFailure(error: unknown): void {
  root.textContent = `The app could not start: ${messageOf(error)}`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A session from Google's return, the URL's fragment or this tab's storage; else the sign-in form. */
async function signInOrStart(): Promise<void> {
  let fromGoogle: Session | null;
  try {
    fromGoogle = await sessionFromGoogleReturn();
  } catch (error) {
    showSignIn(`Google sign-in did not complete: ${messageOf(error)}`);
    return;
  }
  if (fromGoogle) saveSession(fromGoogle);
  const session = fromGoogle ?? loadSession();
  if (session) await start(session);
  else showSignIn();
}

registerOfflineShell();
signInOrStart().catch(showFailure);
