// What GraphiQL at /graphql opens on for a person trying the server: one
// tab per thing worth seeing (the file index, the lock with its idempotency
// key, a transfer's and the index's live events), each with a headers
// template saying where the device token goes. Used only when the browser
// has no tabs of its own stored from an earlier visit.
import { randomUUID } from "node:crypto";

interface GraphiQLTab {
  query: string;
  variables?: string;
  headers: string;
}

export const graphiqlHeadersTemplate = JSON.stringify({ Authorization: "Bearer DEVICE_TOKEN" }, null, 2);

const whereTheTokenComes = `# Every request needs a device's token: put it in
# Headers (below) in place of DEVICE_TOKEN.
#   npm run admin -- add-user NAME
# prints a new user's first device token, and
#   npm run admin -- add-device NAME DEVICE
# another device's.`;

const fileIndex = `# smsync: the account's file index, as each device
# reads it at the start of a sync.
${whereTheTokenComes}
# Then press the run button (or Ctrl-Enter).
query FileIndex {
  fileIndex {
    eventSeq
    files {
      fileUUID
      cloudFileName
      version
      size
      sha256
      deleted
      updatedAt
    }
  }
  device {
    name
  }
}
`;

const lock = `# The user's lock: a device takes it before it
# changes anything, and passes its fencing token
# with every write. The idempotency key (in
# Variables) makes a retry safe: run Lock twice,
# and the second answer is the stored first one;
# a new request takes a new key. Unlock releases
# it (put the fencing token in Variables).
${whereTheTokenComes}
mutation Lock($idempotencyKey: String!) {
  lock(idempotencyKey: $idempotencyKey, waitSeconds: 5) {
    fencingToken
    expiresAt
    heldPreviously
    operationId
  }
}

mutation Unlock($fencingToken: Int!, $unlockKey: String!) {
  unlock(fencingToken: $fencingToken, idempotencyKey: $unlockKey)
}
`;

const liveEvents = `# Live events (over server-sent events here;
# apps use the WebSocket): run one, leave it open.
#  - IndexChanges: each commit that changes the
#    file index, from any device (sync a folder
#    of the account: \`smsync sync DIR\`).
#  - TransferProgress: a transfer's events to its
#    end. Its operationId (in Variables) is what
#    a commit or startInboundTransfer answered;
#    \`after: 0\` replays its events from the
#    start.
${whereTheTokenComes}
subscription IndexChanges {
  fileIndexChanged {
    seq
    at
    deviceId
    operationId
    files {
      fileUUID
      version
      deleted
    }
  }
}

subscription TransferProgress($operationId: ID!) {
  transferProgress(operationId: $operationId, after: 0) {
    seq
    at
    type
    state
    filesDone
    filesTotal
    bytesDone
    bytesTotal
    errorCode
  }
}
`;

const pretty = (value: unknown) => JSON.stringify(value, null, 2);

/** The tabs GraphiQL opens on: a fresh idempotency key each time the page is served. */
export function graphiqlTabs(): GraphiQLTab[] {
  return [
    { query: fileIndex, headers: graphiqlHeadersTemplate },
    {
      query: lock,
      variables: pretty({ idempotencyKey: randomUUID(), fencingToken: 0, unlockKey: randomUUID() }),
      headers: graphiqlHeadersTemplate,
    },
    {
      query: liveEvents,
      variables: pretty({ operationId: "OPERATION_ID from a commit" }),
      headers: graphiqlHeadersTemplate,
    },
  ];
}
