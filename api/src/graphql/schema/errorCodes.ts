// The protocol's error codes as the ErrorCode enum. No field returns it: a
// code travels in a GraphQL error's extensions.code, which the schema cannot
// type. It is in the schema so that codegen gives clients the codes as a type.
import { errorCodes, type ErrorCode } from "@smsync/protocol";
import { builder } from "../builder.ts";

const values = Object.fromEntries(
  Object.entries(errorCodes).map(([code, meaning]) => [code, { description: meaning }]),
) as Record<ErrorCode, { description: string }>;

builder.enumType("ErrorCode", {
  description:
    'The code in extensions.code of the server\'s typed GraphQL errors, and of byte-plane error bodies (docs/protocol.md, "Errors").',
  values,
});
