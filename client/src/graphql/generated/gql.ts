/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  fragment OperationStatusFields on Operation {\n    id\n    kind\n    state\n    attempts\n    failedPhase\n    errorCode\n    errorMessage\n    filesTotal\n    filesDone\n    bytesTotal\n    bytesDone\n    createdAt\n    updatedAt\n    finishedAt\n  }\n": typeof types.OperationStatusFieldsFragmentDoc,
    "\n  fragment OperationFields on Operation {\n    ...OperationStatusFields\n    files {\n      fileUUID\n      version\n      action\n      state\n      size\n      sha256\n      downloadUrl\n    }\n  }\n": typeof types.OperationFieldsFragmentDoc,
    "\n  fragment LockGrantFields on LockGrant {\n    fencingToken\n    expiresAt\n    heldPreviously\n    operationId\n  }\n": typeof types.LockGrantFieldsFragmentDoc,
    "\n  query ServerInfo {\n    serverInfo {\n      version\n      cloudBackend\n      tusEndpoint\n      uploadBatchUrl\n      downloadBatchUrl\n      graphqlWebSocketUrl\n      downloadUrlPattern\n      limits {\n        maxUploadBytes\n        batchMaxFileBytes\n        batchMaxFiles\n        batchMaxBytes\n        maxCloudFileNameBytes\n        maxAppMetaDataBytes\n        maxIdempotencyKeyLength\n        lockTtlSeconds\n        lockMaxTtlSeconds\n      }\n    }\n  }\n": typeof types.ServerInfoDocument,
    "\n  query Device {\n    device {\n      id\n      name\n    }\n  }\n": typeof types.DeviceDocument,
    "\n  query EventSeq {\n    eventSeq\n  }\n": typeof types.EventSeqDocument,
    "\n  query FileIndex {\n    fileIndex {\n      eventSeq\n      files {\n        fileUUID\n        cloudFileName\n        mimeType\n        appMetaData\n        version\n        deleted\n        size\n        sha256\n        updatedAt\n      }\n    }\n  }\n": typeof types.FileIndexDocument,
    "\n  query Operation($id: ID!) {\n    operation(id: $id) {\n      ...OperationFields\n    }\n  }\n": typeof types.OperationDocument,
    "\n  query OperationStatus($id: ID!) {\n    operation(id: $id) {\n      ...OperationStatusFields\n    }\n  }\n": typeof types.OperationStatusDocument,
    "\n  mutation Lock($idempotencyKey: String!, $ttlSeconds: Int, $waitSeconds: Int) {\n    lock(idempotencyKey: $idempotencyKey, ttlSeconds: $ttlSeconds, waitSeconds: $waitSeconds) {\n      ...LockGrantFields\n    }\n  }\n": typeof types.LockDocument,
    "\n  mutation RenewLock($idempotencyKey: String!, $fencingToken: Int!, $ttlSeconds: Int) {\n    renewLock(idempotencyKey: $idempotencyKey, fencingToken: $fencingToken, ttlSeconds: $ttlSeconds) {\n      ...LockGrantFields\n    }\n  }\n": typeof types.RenewLockDocument,
    "\n  mutation Unlock($idempotencyKey: String!, $fencingToken: Int!) {\n    unlock(idempotencyKey: $idempotencyKey, fencingToken: $fencingToken)\n  }\n": typeof types.UnlockDocument,
    "\n  mutation DeleteFiles($idempotencyKey: String!, $fencingToken: Int!, $files: [FileVersionInput!]!) {\n    deleteFiles(idempotencyKey: $idempotencyKey, fencingToken: $fencingToken, files: $files) {\n      fileUUID\n      version\n    }\n  }\n": typeof types.DeleteFilesDocument,
    "\n  mutation Commit($idempotencyKey: String!, $fencingToken: Int!) {\n    commit(idempotencyKey: $idempotencyKey, fencingToken: $fencingToken) {\n      ...OperationFields\n    }\n  }\n": typeof types.CommitDocument,
    "\n  mutation StartInboundTransfer($idempotencyKey: String!, $fencingToken: Int!, $files: [FileVersionInput!]!) {\n    startInboundTransfer(idempotencyKey: $idempotencyKey, fencingToken: $fencingToken, files: $files) {\n      ...OperationFields\n    }\n  }\n": typeof types.StartInboundTransferDocument,
    "\n  mutation ResetServerState($idempotencyKey: String!) {\n    resetServerState(idempotencyKey: $idempotencyKey) {\n      releasedLock\n      discardedUploads\n      discardedDeletions\n    }\n  }\n": typeof types.ResetServerStateDocument,
    "\n  subscription TransferProgress($operationId: ID!, $after: Int) {\n    transferProgress(operationId: $operationId, after: $after) {\n      seq\n      operationId\n      type\n      state\n      files {\n        fileUUID\n        version\n        bytes\n      }\n      filesDone\n      filesTotal\n      bytesDone\n      bytesTotal\n      errorCode\n      errorMessage\n      at\n    }\n  }\n": typeof types.TransferProgressDocument,
    "\n  subscription FileIndexChanged($after: Int) {\n    fileIndexChanged(after: $after) {\n      seq\n      operationId\n      deviceId\n      at\n      files {\n        fileUUID\n        version\n        deleted\n      }\n    }\n  }\n": typeof types.FileIndexChangedDocument,
    "\n  query GoogleSignInOffer {\n    serverInfo {\n      googleSignIn {\n        clientId\n        authorizationUrl\n        scopes\n      }\n    }\n  }\n": typeof types.GoogleSignInOfferDocument,
    "\n  mutation SignInWithGoogle(\n    $deviceName: String!\n    $idToken: String\n    $authorizationCode: String\n    $redirectUri: String\n    $codeVerifier: String\n  ) {\n    signInWithGoogle(\n      deviceName: $deviceName\n      idToken: $idToken\n      authorizationCode: $authorizationCode\n      redirectUri: $redirectUri\n      codeVerifier: $codeVerifier\n    ) {\n      token\n      userId\n      userName\n      deviceName\n      newUser\n      driveAccess\n    }\n  }\n": typeof types.SignInWithGoogleDocument,
};
const documents: Documents = {
    "\n  fragment OperationStatusFields on Operation {\n    id\n    kind\n    state\n    attempts\n    failedPhase\n    errorCode\n    errorMessage\n    filesTotal\n    filesDone\n    bytesTotal\n    bytesDone\n    createdAt\n    updatedAt\n    finishedAt\n  }\n": types.OperationStatusFieldsFragmentDoc,
    "\n  fragment OperationFields on Operation {\n    ...OperationStatusFields\n    files {\n      fileUUID\n      version\n      action\n      state\n      size\n      sha256\n      downloadUrl\n    }\n  }\n": types.OperationFieldsFragmentDoc,
    "\n  fragment LockGrantFields on LockGrant {\n    fencingToken\n    expiresAt\n    heldPreviously\n    operationId\n  }\n": types.LockGrantFieldsFragmentDoc,
    "\n  query ServerInfo {\n    serverInfo {\n      version\n      cloudBackend\n      tusEndpoint\n      uploadBatchUrl\n      downloadBatchUrl\n      graphqlWebSocketUrl\n      downloadUrlPattern\n      limits {\n        maxUploadBytes\n        batchMaxFileBytes\n        batchMaxFiles\n        batchMaxBytes\n        maxCloudFileNameBytes\n        maxAppMetaDataBytes\n        maxIdempotencyKeyLength\n        lockTtlSeconds\n        lockMaxTtlSeconds\n      }\n    }\n  }\n": types.ServerInfoDocument,
    "\n  query Device {\n    device {\n      id\n      name\n    }\n  }\n": types.DeviceDocument,
    "\n  query EventSeq {\n    eventSeq\n  }\n": types.EventSeqDocument,
    "\n  query FileIndex {\n    fileIndex {\n      eventSeq\n      files {\n        fileUUID\n        cloudFileName\n        mimeType\n        appMetaData\n        version\n        deleted\n        size\n        sha256\n        updatedAt\n      }\n    }\n  }\n": types.FileIndexDocument,
    "\n  query Operation($id: ID!) {\n    operation(id: $id) {\n      ...OperationFields\n    }\n  }\n": types.OperationDocument,
    "\n  query OperationStatus($id: ID!) {\n    operation(id: $id) {\n      ...OperationStatusFields\n    }\n  }\n": types.OperationStatusDocument,
    "\n  mutation Lock($idempotencyKey: String!, $ttlSeconds: Int, $waitSeconds: Int) {\n    lock(idempotencyKey: $idempotencyKey, ttlSeconds: $ttlSeconds, waitSeconds: $waitSeconds) {\n      ...LockGrantFields\n    }\n  }\n": types.LockDocument,
    "\n  mutation RenewLock($idempotencyKey: String!, $fencingToken: Int!, $ttlSeconds: Int) {\n    renewLock(idempotencyKey: $idempotencyKey, fencingToken: $fencingToken, ttlSeconds: $ttlSeconds) {\n      ...LockGrantFields\n    }\n  }\n": types.RenewLockDocument,
    "\n  mutation Unlock($idempotencyKey: String!, $fencingToken: Int!) {\n    unlock(idempotencyKey: $idempotencyKey, fencingToken: $fencingToken)\n  }\n": types.UnlockDocument,
    "\n  mutation DeleteFiles($idempotencyKey: String!, $fencingToken: Int!, $files: [FileVersionInput!]!) {\n    deleteFiles(idempotencyKey: $idempotencyKey, fencingToken: $fencingToken, files: $files) {\n      fileUUID\n      version\n    }\n  }\n": types.DeleteFilesDocument,
    "\n  mutation Commit($idempotencyKey: String!, $fencingToken: Int!) {\n    commit(idempotencyKey: $idempotencyKey, fencingToken: $fencingToken) {\n      ...OperationFields\n    }\n  }\n": types.CommitDocument,
    "\n  mutation StartInboundTransfer($idempotencyKey: String!, $fencingToken: Int!, $files: [FileVersionInput!]!) {\n    startInboundTransfer(idempotencyKey: $idempotencyKey, fencingToken: $fencingToken, files: $files) {\n      ...OperationFields\n    }\n  }\n": types.StartInboundTransferDocument,
    "\n  mutation ResetServerState($idempotencyKey: String!) {\n    resetServerState(idempotencyKey: $idempotencyKey) {\n      releasedLock\n      discardedUploads\n      discardedDeletions\n    }\n  }\n": types.ResetServerStateDocument,
    "\n  subscription TransferProgress($operationId: ID!, $after: Int) {\n    transferProgress(operationId: $operationId, after: $after) {\n      seq\n      operationId\n      type\n      state\n      files {\n        fileUUID\n        version\n        bytes\n      }\n      filesDone\n      filesTotal\n      bytesDone\n      bytesTotal\n      errorCode\n      errorMessage\n      at\n    }\n  }\n": types.TransferProgressDocument,
    "\n  subscription FileIndexChanged($after: Int) {\n    fileIndexChanged(after: $after) {\n      seq\n      operationId\n      deviceId\n      at\n      files {\n        fileUUID\n        version\n        deleted\n      }\n    }\n  }\n": types.FileIndexChangedDocument,
    "\n  query GoogleSignInOffer {\n    serverInfo {\n      googleSignIn {\n        clientId\n        authorizationUrl\n        scopes\n      }\n    }\n  }\n": types.GoogleSignInOfferDocument,
    "\n  mutation SignInWithGoogle(\n    $deviceName: String!\n    $idToken: String\n    $authorizationCode: String\n    $redirectUri: String\n    $codeVerifier: String\n  ) {\n    signInWithGoogle(\n      deviceName: $deviceName\n      idToken: $idToken\n      authorizationCode: $authorizationCode\n      redirectUri: $redirectUri\n      codeVerifier: $codeVerifier\n    ) {\n      token\n      userId\n      userName\n      deviceName\n      newUser\n      driveAccess\n    }\n  }\n": types.SignInWithGoogleDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment OperationStatusFields on Operation {\n    id\n    kind\n    state\n    attempts\n    failedPhase\n    errorCode\n    errorMessage\n    filesTotal\n    filesDone\n    bytesTotal\n    bytesDone\n    createdAt\n    updatedAt\n    finishedAt\n  }\n"): (typeof documents)["\n  fragment OperationStatusFields on Operation {\n    id\n    kind\n    state\n    attempts\n    failedPhase\n    errorCode\n    errorMessage\n    filesTotal\n    filesDone\n    bytesTotal\n    bytesDone\n    createdAt\n    updatedAt\n    finishedAt\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment OperationFields on Operation {\n    ...OperationStatusFields\n    files {\n      fileUUID\n      version\n      action\n      state\n      size\n      sha256\n      downloadUrl\n    }\n  }\n"): (typeof documents)["\n  fragment OperationFields on Operation {\n    ...OperationStatusFields\n    files {\n      fileUUID\n      version\n      action\n      state\n      size\n      sha256\n      downloadUrl\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment LockGrantFields on LockGrant {\n    fencingToken\n    expiresAt\n    heldPreviously\n    operationId\n  }\n"): (typeof documents)["\n  fragment LockGrantFields on LockGrant {\n    fencingToken\n    expiresAt\n    heldPreviously\n    operationId\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ServerInfo {\n    serverInfo {\n      version\n      cloudBackend\n      tusEndpoint\n      uploadBatchUrl\n      downloadBatchUrl\n      graphqlWebSocketUrl\n      downloadUrlPattern\n      limits {\n        maxUploadBytes\n        batchMaxFileBytes\n        batchMaxFiles\n        batchMaxBytes\n        maxCloudFileNameBytes\n        maxAppMetaDataBytes\n        maxIdempotencyKeyLength\n        lockTtlSeconds\n        lockMaxTtlSeconds\n      }\n    }\n  }\n"): (typeof documents)["\n  query ServerInfo {\n    serverInfo {\n      version\n      cloudBackend\n      tusEndpoint\n      uploadBatchUrl\n      downloadBatchUrl\n      graphqlWebSocketUrl\n      downloadUrlPattern\n      limits {\n        maxUploadBytes\n        batchMaxFileBytes\n        batchMaxFiles\n        batchMaxBytes\n        maxCloudFileNameBytes\n        maxAppMetaDataBytes\n        maxIdempotencyKeyLength\n        lockTtlSeconds\n        lockMaxTtlSeconds\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Device {\n    device {\n      id\n      name\n    }\n  }\n"): (typeof documents)["\n  query Device {\n    device {\n      id\n      name\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query EventSeq {\n    eventSeq\n  }\n"): (typeof documents)["\n  query EventSeq {\n    eventSeq\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query FileIndex {\n    fileIndex {\n      eventSeq\n      files {\n        fileUUID\n        cloudFileName\n        mimeType\n        appMetaData\n        version\n        deleted\n        size\n        sha256\n        updatedAt\n      }\n    }\n  }\n"): (typeof documents)["\n  query FileIndex {\n    fileIndex {\n      eventSeq\n      files {\n        fileUUID\n        cloudFileName\n        mimeType\n        appMetaData\n        version\n        deleted\n        size\n        sha256\n        updatedAt\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Operation($id: ID!) {\n    operation(id: $id) {\n      ...OperationFields\n    }\n  }\n"): (typeof documents)["\n  query Operation($id: ID!) {\n    operation(id: $id) {\n      ...OperationFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query OperationStatus($id: ID!) {\n    operation(id: $id) {\n      ...OperationStatusFields\n    }\n  }\n"): (typeof documents)["\n  query OperationStatus($id: ID!) {\n    operation(id: $id) {\n      ...OperationStatusFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Lock($idempotencyKey: String!, $ttlSeconds: Int, $waitSeconds: Int) {\n    lock(idempotencyKey: $idempotencyKey, ttlSeconds: $ttlSeconds, waitSeconds: $waitSeconds) {\n      ...LockGrantFields\n    }\n  }\n"): (typeof documents)["\n  mutation Lock($idempotencyKey: String!, $ttlSeconds: Int, $waitSeconds: Int) {\n    lock(idempotencyKey: $idempotencyKey, ttlSeconds: $ttlSeconds, waitSeconds: $waitSeconds) {\n      ...LockGrantFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RenewLock($idempotencyKey: String!, $fencingToken: Int!, $ttlSeconds: Int) {\n    renewLock(idempotencyKey: $idempotencyKey, fencingToken: $fencingToken, ttlSeconds: $ttlSeconds) {\n      ...LockGrantFields\n    }\n  }\n"): (typeof documents)["\n  mutation RenewLock($idempotencyKey: String!, $fencingToken: Int!, $ttlSeconds: Int) {\n    renewLock(idempotencyKey: $idempotencyKey, fencingToken: $fencingToken, ttlSeconds: $ttlSeconds) {\n      ...LockGrantFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Unlock($idempotencyKey: String!, $fencingToken: Int!) {\n    unlock(idempotencyKey: $idempotencyKey, fencingToken: $fencingToken)\n  }\n"): (typeof documents)["\n  mutation Unlock($idempotencyKey: String!, $fencingToken: Int!) {\n    unlock(idempotencyKey: $idempotencyKey, fencingToken: $fencingToken)\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DeleteFiles($idempotencyKey: String!, $fencingToken: Int!, $files: [FileVersionInput!]!) {\n    deleteFiles(idempotencyKey: $idempotencyKey, fencingToken: $fencingToken, files: $files) {\n      fileUUID\n      version\n    }\n  }\n"): (typeof documents)["\n  mutation DeleteFiles($idempotencyKey: String!, $fencingToken: Int!, $files: [FileVersionInput!]!) {\n    deleteFiles(idempotencyKey: $idempotencyKey, fencingToken: $fencingToken, files: $files) {\n      fileUUID\n      version\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Commit($idempotencyKey: String!, $fencingToken: Int!) {\n    commit(idempotencyKey: $idempotencyKey, fencingToken: $fencingToken) {\n      ...OperationFields\n    }\n  }\n"): (typeof documents)["\n  mutation Commit($idempotencyKey: String!, $fencingToken: Int!) {\n    commit(idempotencyKey: $idempotencyKey, fencingToken: $fencingToken) {\n      ...OperationFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation StartInboundTransfer($idempotencyKey: String!, $fencingToken: Int!, $files: [FileVersionInput!]!) {\n    startInboundTransfer(idempotencyKey: $idempotencyKey, fencingToken: $fencingToken, files: $files) {\n      ...OperationFields\n    }\n  }\n"): (typeof documents)["\n  mutation StartInboundTransfer($idempotencyKey: String!, $fencingToken: Int!, $files: [FileVersionInput!]!) {\n    startInboundTransfer(idempotencyKey: $idempotencyKey, fencingToken: $fencingToken, files: $files) {\n      ...OperationFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ResetServerState($idempotencyKey: String!) {\n    resetServerState(idempotencyKey: $idempotencyKey) {\n      releasedLock\n      discardedUploads\n      discardedDeletions\n    }\n  }\n"): (typeof documents)["\n  mutation ResetServerState($idempotencyKey: String!) {\n    resetServerState(idempotencyKey: $idempotencyKey) {\n      releasedLock\n      discardedUploads\n      discardedDeletions\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription TransferProgress($operationId: ID!, $after: Int) {\n    transferProgress(operationId: $operationId, after: $after) {\n      seq\n      operationId\n      type\n      state\n      files {\n        fileUUID\n        version\n        bytes\n      }\n      filesDone\n      filesTotal\n      bytesDone\n      bytesTotal\n      errorCode\n      errorMessage\n      at\n    }\n  }\n"): (typeof documents)["\n  subscription TransferProgress($operationId: ID!, $after: Int) {\n    transferProgress(operationId: $operationId, after: $after) {\n      seq\n      operationId\n      type\n      state\n      files {\n        fileUUID\n        version\n        bytes\n      }\n      filesDone\n      filesTotal\n      bytesDone\n      bytesTotal\n      errorCode\n      errorMessage\n      at\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription FileIndexChanged($after: Int) {\n    fileIndexChanged(after: $after) {\n      seq\n      operationId\n      deviceId\n      at\n      files {\n        fileUUID\n        version\n        deleted\n      }\n    }\n  }\n"): (typeof documents)["\n  subscription FileIndexChanged($after: Int) {\n    fileIndexChanged(after: $after) {\n      seq\n      operationId\n      deviceId\n      at\n      files {\n        fileUUID\n        version\n        deleted\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query GoogleSignInOffer {\n    serverInfo {\n      googleSignIn {\n        clientId\n        authorizationUrl\n        scopes\n      }\n    }\n  }\n"): (typeof documents)["\n  query GoogleSignInOffer {\n    serverInfo {\n      googleSignIn {\n        clientId\n        authorizationUrl\n        scopes\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SignInWithGoogle(\n    $deviceName: String!\n    $idToken: String\n    $authorizationCode: String\n    $redirectUri: String\n    $codeVerifier: String\n  ) {\n    signInWithGoogle(\n      deviceName: $deviceName\n      idToken: $idToken\n      authorizationCode: $authorizationCode\n      redirectUri: $redirectUri\n      codeVerifier: $codeVerifier\n    ) {\n      token\n      userId\n      userName\n      deviceName\n      newUser\n      driveAccess\n    }\n  }\n"): (typeof documents)["\n  mutation SignInWithGoogle(\n    $deviceName: String!\n    $idToken: String\n    $authorizationCode: String\n    $redirectUri: String\n    $codeVerifier: String\n  ) {\n    signInWithGoogle(\n      deviceName: $deviceName\n      idToken: $idToken\n      authorizationCode: $authorizationCode\n      redirectUri: $redirectUri\n      codeVerifier: $codeVerifier\n    ) {\n      token\n      userId\n      userName\n      deviceName\n      newUser\n      driveAccess\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;