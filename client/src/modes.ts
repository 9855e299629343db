// The client's mode, persisted in the store's "meta" collection. Modes are
// for telling the app where it stands, above all in the error modes that
// the app must reset from (the seed's "Mode State").
export const modes = [
  "idle",
  "synchronizing",
  "networkNotConnected",
  "resettingFromError",
  "internalError",
  "nonRecoverableError",
] as const;

export type Mode = (typeof modes)[number];

export const errorModes: readonly Mode[] = ["internalError", "nonRecoverableError"];

export function isErrorMode(mode: Mode): boolean {
  return errorModes.includes(mode);
}
