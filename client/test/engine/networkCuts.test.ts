// A network cut at each request of a sync pass, through the cutting proxy,
// (a) in the middle of the request and (b) after the server acted, before
// its answer reached the client: here the start of the pass and its
// downloads; networkCutsUploads.test.ts cuts its batch of uploads, which ends it.
// The pass (support/networkCuts.ts) does everything: a download-deletion, two
// downloads, then a batch of two uploads and a deletion. After each cut the
// engine must finish on its own, with every change on the server once
// (versions, sha256), every download handed to the app once with its bytes,
// one transfer of each kind, the lock free and the device's queues empty.
import {
  bigSize,
  bothCuts,
  describeCuts,
  graphql,
  smallSize,
  subscriptionCuts,
  type CutCase,
} from "../support/networkCuts.ts";

const batchDownload = { match: /^POST \/download-batches / };

const cases: CutCase[] = [
  ...bothCuts("lock", graphql("Lock")),
  ...bothCuts("fileIndex", graphql("FileIndex")),
  ...bothCuts("startInboundTransfer", graphql("StartInboundTransfer")),
  ...bothCuts("operation polling of the inbound transfer", graphql("OperationStatus")),
  ...subscriptionCuts("of the inbound transfer"),
  ...bothCuts("download GET", { match: /^GET \/downloads\// }),
  { name: "download GET, mid-body", rule: { direction: "down", afterBytes: bigSize / 2, match: /^GET \/downloads\// } },
  ...bothCuts("batch download", batchDownload),
  { name: "batch download, mid-body", rule: { direction: "down", afterBytes: smallSize / 2, ...batchDownload } },
];

describeCuts(
  "a network cut at each request of a sync pass's start and downloads: the pass finishes with nothing lost and nothing twice",
  cases,
  { baseline: true },
);
