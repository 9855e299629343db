// Exit codes a script can act on.
export const exitCodes = {
  ok: 0,
  /** Something failed; the message says what. */
  failure: 1,
  /** The command line was wrong. */
  usage: 2,
  /** Not logged in, or the server refused the token. */
  authentication: 3,
  /** The server could not be reached. */
  unreachable: 4,
  /** No room: the account's cloud storage or the server's staging area is full. Nothing is lost; sync again once space is freed. */
  storageFull: 5,
  /** Stopped by a second Ctrl-C (or SIGTERM) before its clean stop ended; nothing is lost. */
  interrupted: 130,
} as const;
