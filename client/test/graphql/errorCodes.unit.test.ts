// The client checks the server's codes against the protocol's list, and the
// schema's ErrorCode enum (codegen) is that same list.
import type { ErrorCode } from "@smsync/protocol";
import { describe, expect, expectTypeOf, it } from "vitest";
import { isServerError, NetworkError, ServerError } from "../../src/errors.ts";
import type { ErrorCode as SchemaErrorCode } from "../../src/graphql/generated/enums.ts";

describe("the server's error codes on the client", () => {
  it("isServerError matches a ServerError by any of the codes given, and nothing else", () => {
    const held = new ServerError("LOCK_HELD", "held", { retryAfterSeconds: 2 });
    expect(isServerError(held, "LOCK_HELD")).toBe(true);
    expect(isServerError(held, "STALE_FENCING_TOKEN", "LOCK_HELD")).toBe(true);
    expect(isServerError(held, "LOCK_REQUIRED")).toBe(false);
    expect(isServerError(new ServerError("INTERNAL_SERVER_ERROR", "masked"), "INTERNAL")).toBe(false);
    expect(isServerError(new NetworkError("down"), "INTERNAL")).toBe(false);
    expect(isServerError(undefined, "LOCK_HELD")).toBe(false);
  });

  it("types the codes: the schema's enum, as codegen writes it, is the protocol's list", () => {
    expectTypeOf<SchemaErrorCode>().toEqualTypeOf<ErrorCode>();
    // @ts-expect-error a code the protocol does not have does not compile
    isServerError(new ServerError("LOCK_HELD", "held"), "LOCK_HELDD");
  });
});
