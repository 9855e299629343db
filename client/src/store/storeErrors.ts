// The errors a client store gives for the data it holds (misuse, such as an
// unknown collection or a value that is not JSON, is a TypeError instead).
import { SmsyncClientError } from "../errors.ts";

/**
 * The stored data was written by a newer SDK, or is not a client store at
 * all: the app must be updated or pointed elsewhere, not the data rewritten.
 */
export class StoreSchemaError extends SmsyncClientError {
  override name = "StoreSchemaError";

  constructor(message: string, options?: { cause?: unknown }) {
    super("STORE_SCHEMA", message, options);
  }
}

/**
 * A record is not of its collection's type (storedRecords.ts): refused when
 * read, not handed on as if it were, and refused when written, so that the
 * store never holds what it could not read back. `problem` says why.
 */
export class StoreRecordError extends SmsyncClientError {
  override name = "StoreRecordError";

  constructor(
    readonly collection: string,
    readonly key: string,
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super("STORE_RECORD", `the record ${JSON.stringify(key)} in ${collection} is not valid: ${problem}`, options);
  }
}
