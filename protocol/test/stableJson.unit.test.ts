// The request comparison both the server's idempotency and the client's outbox use.
import { describe, expect, it } from "vitest";
import { stableJson } from "../src/index.ts";

describe("stableJson", () => {
  it("is the same text whatever the order of object keys, at any depth", () => {
    expect(stableJson({ b: 1, a: { d: [1, { f: 2, e: 3 }], c: null } })).toBe(
      stableJson({ a: { c: null, d: [1, { e: 3, f: 2 }] }, b: 1 }),
    );
  });

  it("writes the text the server's stored request hashes were made from", () => {
    // Stored idempotency records hold sha256 of this text: it must not change.
    expect(stableJson({ z: "x", a: [true, 1.5, null, undefined], m: { k: undefined, j: "é" } })).toBe(
      '{"a":[true,1.5,null,null],"m":{"j":"é"},"z":"x"}',
    );
  });

  it("leaves out undefined members, as JSON does, so a stored copy compares equal", () => {
    const variables = { idempotencyKey: "k", ttlSeconds: undefined };
    expect(stableJson(variables)).toBe(stableJson(JSON.parse(JSON.stringify(variables))));
  });

  it("tells different values apart", () => {
    expect(stableJson({ a: 1 })).not.toBe(stableJson({ a: "1" }));
    expect(stableJson([1, 2])).not.toBe(stableJson([2, 1]));
    expect(stableJson(undefined)).toBe("null");
  });
});
