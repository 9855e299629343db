// The OAuth scopes of Google sign-in, apart from the sign-in itself (which
// loads jose): serverInfo tells them to every app, on every server.

/** What an app asks Google for (serverInfo.googleSignIn): who the person is, and the app's files in their Drive. */
export const googleSignInScopes = ["openid", "email", "https://www.googleapis.com/auth/drive.file"];

/** Scopes that let the Drive backend write the app's files; drive.file is the one to ask for. */
export const driveScopes = ["https://www.googleapis.com/auth/drive.file", "https://www.googleapis.com/auth/drive"];
