// The Drive access tokens of the simulator's server processes: they name
// their account (the user id), so the fake Drive in the simulator accepts
// tokens a process it never talked to made up, across restarts.
const prefix = "ya29.sim.";

export function simDriveToken(userId: string, nonce: string): string {
  return `${prefix}${nonce}.${userId}`;
}

/** The account a token made by simDriveToken acts for (the fake Drive's accountOfToken). */
export function accountOfSimDriveToken(token: string): string | undefined {
  if (!token.startsWith(prefix)) return undefined;
  const rest = token.slice(prefix.length);
  const dot = rest.indexOf(".");
  return dot < 0 ? undefined : rest.slice(dot + 1);
}
