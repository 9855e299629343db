// Every GraphQL operation the SDK sends, typed by GraphQL Code Generator
// from api/schema.graphql (`npm run codegen` writes ./generated/).
// Each mutation takes its key as the variable $idempotencyKey: the outbox
// (outbox/) refuses a mutation without one, as it could not be
// replayed safely.
import { graphql } from "./generated/gql.ts";

// An operation without its files: what a follower polls, at a cost that does not grow with the transfer's files.
export const operationStatusFieldsFragment = graphql(`
  fragment OperationStatusFields on Operation {
    id
    kind
    state
    attempts
    failedPhase
    errorCode
    errorMessage
    filesTotal
    filesDone
    bytesTotal
    bytesDone
    createdAt
    updatedAt
    finishedAt
  }
`);

export const operationFieldsFragment = graphql(`
  fragment OperationFields on Operation {
    ...OperationStatusFields
    files {
      fileUUID
      version
      action
      state
      size
      sha256
      downloadUrl
    }
  }
`);

export const lockGrantFieldsFragment = graphql(`
  fragment LockGrantFields on LockGrant {
    fencingToken
    expiresAt
    heldPreviously
    operationId
  }
`);

// Queries

export const serverInfoQuery = graphql(`
  query ServerInfo {
    serverInfo {
      version
      cloudBackend
      tusEndpoint
      uploadBatchUrl
      downloadBatchUrl
      graphqlWebSocketUrl
      downloadUrlPattern
      limits {
        maxUploadBytes
        batchMaxFileBytes
        batchMaxFiles
        batchMaxBytes
        maxCloudFileNameBytes
        maxAppMetaDataBytes
        maxIdempotencyKeyLength
        lockTtlSeconds
        lockMaxTtlSeconds
      }
    }
  }
`);

// Live mode (engine/liveSync.ts): its own device, to tell its own commits from others'; the event position it
// polls while the fileIndexChanged subscription is down.
export const deviceQuery = graphql(`
  query Device {
    device {
      id
      name
    }
  }
`);

export const eventSeqQuery = graphql(`
  query EventSeq {
    eventSeq
  }
`);

export const fileIndexQuery = graphql(`
  query FileIndex {
    fileIndex {
      eventSeq
      files {
        fileUUID
        cloudFileName
        mimeType
        appMetaData
        version
        deleted
        size
        sha256
        updatedAt
      }
    }
  }
`);

export const operationQuery = graphql(`
  query Operation($id: ID!) {
    operation(id: $id) {
      ...OperationFields
    }
  }
`);

export const operationStatusQuery = graphql(`
  query OperationStatus($id: ID!) {
    operation(id: $id) {
      ...OperationStatusFields
    }
  }
`);

// Mutations (through the outbox)

export const lockMutation = graphql(`
  mutation Lock($idempotencyKey: String!, $ttlSeconds: Int, $waitSeconds: Int) {
    lock(idempotencyKey: $idempotencyKey, ttlSeconds: $ttlSeconds, waitSeconds: $waitSeconds) {
      ...LockGrantFields
    }
  }
`);

export const renewLockMutation = graphql(`
  mutation RenewLock($idempotencyKey: String!, $fencingToken: Int!, $ttlSeconds: Int) {
    renewLock(idempotencyKey: $idempotencyKey, fencingToken: $fencingToken, ttlSeconds: $ttlSeconds) {
      ...LockGrantFields
    }
  }
`);

export const unlockMutation = graphql(`
  mutation Unlock($idempotencyKey: String!, $fencingToken: Int!) {
    unlock(idempotencyKey: $idempotencyKey, fencingToken: $fencingToken)
  }
`);

export const deleteFilesMutation = graphql(`
  mutation DeleteFiles($idempotencyKey: String!, $fencingToken: Int!, $files: [FileVersionInput!]!) {
    deleteFiles(idempotencyKey: $idempotencyKey, fencingToken: $fencingToken, files: $files) {
      fileUUID
      version
    }
  }
`);

export const commitMutation = graphql(`
  mutation Commit($idempotencyKey: String!, $fencingToken: Int!) {
    commit(idempotencyKey: $idempotencyKey, fencingToken: $fencingToken) {
      ...OperationFields
    }
  }
`);

export const startInboundTransferMutation = graphql(`
  mutation StartInboundTransfer($idempotencyKey: String!, $fencingToken: Int!, $files: [FileVersionInput!]!) {
    startInboundTransfer(idempotencyKey: $idempotencyKey, fencingToken: $fencingToken, files: $files) {
      ...OperationFields
    }
  }
`);

export const resetServerStateMutation = graphql(`
  mutation ResetServerState($idempotencyKey: String!) {
    resetServerState(idempotencyKey: $idempotencyKey) {
      releasedLock
      discardedUploads
      discardedDeletions
    }
  }
`);

// Subscriptions (over graphql-ws; resubscribe with the last seq seen as `after`)

export const transferProgressSubscription = graphql(`
  subscription TransferProgress($operationId: ID!, $after: Int) {
    transferProgress(operationId: $operationId, after: $after) {
      seq
      operationId
      type
      state
      files {
        fileUUID
        version
        bytes
      }
      filesDone
      filesTotal
      bytesDone
      bytesTotal
      errorCode
      errorMessage
      at
    }
  }
`);

export const fileIndexChangedSubscription = graphql(`
  subscription FileIndexChanged($after: Int) {
    fileIndexChanged(after: $after) {
      seq
      operationId
      deviceId
      at
      files {
        fileUUID
        version
        deleted
      }
    }
  }
`);

// Signing in (anonymous, not through the outbox: there is no device yet whose store could keep it)

export const googleSignInOfferQuery = graphql(`
  query GoogleSignInOffer {
    serverInfo {
      googleSignIn {
        clientId
        authorizationUrl
        scopes
      }
    }
  }
`);

export const signInWithGoogleMutation = graphql(`
  mutation SignInWithGoogle(
    $deviceName: String!
    $idToken: String
    $authorizationCode: String
    $redirectUri: String
    $codeVerifier: String
  ) {
    signInWithGoogle(
      deviceName: $deviceName
      idToken: $idToken
      authorizationCode: $authorizationCode
      redirectUri: $redirectUri
      codeVerifier: $codeVerifier
    ) {
      token
      userId
      userName
      deviceName
      newUser
      driveAccess
    }
  }
`);
