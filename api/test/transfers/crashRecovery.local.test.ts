// The server killed at each crash point of a transfer and restarted, on the
// local cloud (the cases: crashRecovery.ts).
import { processClouds } from "../support/processClouds.ts";
import { crashRecoverySuite } from "./crashRecovery.ts";

for (const processCloud of processClouds.filter((cloud) => cloud.name === "local")) crashRecoverySuite(processCloud);
