// The client store's schema version, and the migrations that bring a store
// written by an older SDK up to it. Every store keeps its version where its
// platform keeps one (SQLite: PRAGMA user_version; IndexedDB: the database
// version; memory: always current) and, when opened, runs the migrations
// after it, each in one transaction with the new version, so a kill leaves
// the store at one version or the next. A store of a newer version than
// this SDK's is refused (StoreSchemaError): it may hold what this SDK would
// misread.
//
// A migration works on stored JSON, not on typed records: the records it
// reads are of the old shape, which the schemas of today would refuse.
import { StoreSchemaError } from "./storeErrors.ts";
import type { SerializedChange } from "./ClientStore.ts";
import type { Collection } from "./storedRecords.ts";

/**
 * 1: the format of the first SDK (test/fixtures/clientStore-v1.sqlite).
 * 2: engine.outbound always has `resumes`.
 */
export const currentSchemaVersion = 2;

/** An entry as stored, before any schema has looked at it. */
export interface StoredJsonEntry {
  key: string;
  value: unknown;
}

export interface Migration {
  /** The version it makes of a store at version `to - 1`. */
  to: number;
  /** The collections whose entries `changes` needs. */
  reads: readonly Collection[];
  /** The changes that make the entries read of the new shape. Pure: the store applies them with the new version. */
  changes(stored: ReadonlyMap<Collection, readonly StoredJsonEntry[]>): SerializedChange[];
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

export const migrations: readonly Migration[] = [
  {
    // engine.outbound's `resumes` (commits sent again under the same grant
    // after the transfer FAILED) came after the state itself, optional, and
    // a batch begun before stayed without it: absent meant 0.
    to: 2,
    reads: ["meta"],
    changes(stored) {
      const outbound = stored.get("meta")?.find((entry) => entry.key === "engine.outbound")?.value;
      if (!isObject(outbound) || "resumes" in outbound) return [];
      return [
        { op: "put", collection: "meta", key: "engine.outbound", json: JSON.stringify({ ...outbound, resumes: 0 }) },
      ];
    },
  },
];

/** The migrations a store at `version` needs, in order; a StoreSchemaError for a version newer than this SDK's. */
export function migrationsFrom(version: number, where: string): Migration[] {
  if (version > currentSchemaVersion) {
    throw new StoreSchemaError(
      `${where} has client store schema ${version}, newer than this SDK's ${currentSchemaVersion}: update the app`,
    );
  }
  return migrations.filter((migration) => migration.to > version);
}
