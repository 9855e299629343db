// A network cut at each request of a sync pass's batch of uploads, which
// ends the pass (its transfer releases the lock), through the cutting proxy,
// (a) in the middle of the request and (b) after the server acted, before
// its answer reached the client (the pass and the checks:
// support/networkCuts.ts; the start of the pass and its downloads:
// networkCuts.test.ts; the unlock that ends a pass with nothing to upload:
// networkCutsUnlock.test.ts). The cuts are armed once the downloads are
// done where the request also occurs before (lock, operation, subscription).
import {
  bothCuts,
  describeCuts,
  graphql,
  midRequest,
  patchMidBody,
  subscriptionCuts,
  type CutCase,
} from "../support/networkCuts.ts";

const patch = { match: /^PATCH \/uploads\// };
const batchUpload = { match: /^POST \/upload-batches / };

const cases: CutCase[] = [
  ...bothCuts("lock after the downloads", graphql("Lock"), "downloadsFinished"),
  ...bothCuts("serverInfo (the byte plane's endpoints)", graphql("ServerInfo")),
  ...bothCuts("tus POST", { match: /^POST \/uploads / }),
  { name: "tus PATCH, mid-upload", rule: { direction: "up", afterBytes: patchMidBody, ...patch } },
  {
    name: "tus PATCH, after the server took every byte (answer lost)",
    rule: { direction: "down", afterBytes: 0, ...patch },
  },
  {
    name: "tus HEAD of the resumed upload, mid-request",
    rule: { direction: "up", afterBytes: patchMidBody, ...patch },
    then: { direction: "up", afterBytes: midRequest, match: /^HEAD \/uploads\// },
  },
  {
    name: "tus HEAD of the resumed upload, after the server acted (answer lost)",
    rule: { direction: "up", afterBytes: patchMidBody, ...patch },
    then: { direction: "down", afterBytes: 0, match: /^HEAD \/uploads\// },
  },
  ...bothCuts("batch upload", batchUpload),
  {
    name: "the held check of a cut batch upload, mid-request",
    rule: { direction: "up", afterBytes: midRequest, ...batchUpload },
    then: { direction: "up", afterBytes: midRequest, match: /^POST \/upload-batches\/held / },
  },
  {
    name: "the held check of a cut batch upload, after the server acted (answer lost)",
    rule: { direction: "down", afterBytes: 0, ...batchUpload },
    then: { direction: "down", afterBytes: 0, match: /^POST \/upload-batches\/held / },
  },
  ...bothCuts("deleteFiles", graphql("DeleteFiles")),
  ...bothCuts("commit", graphql("Commit")),
  ...bothCuts("operation polling of the outbound transfer", graphql("OperationStatus"), "downloadsFinished"),
  ...subscriptionCuts("of the outbound transfer", "downloadsFinished"),
];

describeCuts(
  "a network cut at each request of a sync pass's batch: the pass finishes with nothing lost and nothing twice",
  cases,
);
