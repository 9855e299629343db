// The simulator's invariants by number (checked in invariants.ts), for reports and sabotage runs.
export const invariantNames = {
  1: "committed changes are in the index and the cloud with their sha256",
  2: "every device of a user holds the index's files, byte for byte",
  3: "one cloud object per live (fileUUID, version), no orphan",
  4: "no download or deletion delivered twice, no event missed",
  5: "no version gap or reuse, lock free, queues empty, operations ended",
  6: "no user saw another user's data",
} as const;

export type InvariantNumber = keyof typeof invariantNames;
