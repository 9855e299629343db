// The GraphQL control plane: each file adds the fields of one concept.
import { builder } from "../builder.ts";
import "./serverInfo.ts";
import "./fileIndex.ts";
import "./device.ts";
import "./locks.ts";
import "./transfers.ts";
import "./reset.ts";
import "./googleSignIn.ts";
import "./errorCodes.ts";

export const schema = builder.toSchema({ sortSchema: true });
