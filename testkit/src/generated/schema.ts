export type Maybe<T> = T | null;
export type InputMaybe<T> = Maybe<T>;
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
  /** An ISO 8601 date and time in UTC. */
  DateTime: { input: string; output: string; }
  /** A JSON document, as a string. */
  JSONString: { input: string; output: string; }
};

export type ChangedFile = {
  deleted: Scalars['Boolean']['output'];
  fileUUID: Scalars['ID']['output'];
  version: Scalars['Int']['output'];
};

/** One device of a user: one install of the app, with its own token. */
export type Device = {
  /** As fileIndexChanged's deviceId names the device that committed. */
  id: Scalars['ID']['output'];
  name: Scalars['String']['output'];
};

/** The code in extensions.code of the server's typed GraphQL errors, and of byte-plane error bodies (docs/protocol.md, "Errors"). */
export type ErrorCode =
  /** the file is already deleted */
  | 'ALREADY_DELETED'
  /** an argument is malformed */
  | 'BAD_INPUT'
  /** the uploaded bytes do not match the declared sha256 */
  | 'CHECKSUM_MISMATCH'
  /** the cloud file name belongs to another live file */
  | 'CLOUD_NAME_TAKEN'
  /** the file is deleted; upload it with undelete to bring it back */
  | 'FILE_DELETED'
  /** Google refused the authorization code, or it grants too little */
  | 'GOOGLE_AUTHORIZATION_CODE_INVALID'
  /** the Google ID token failed verification (extensions.reason names the check) */
  | 'GOOGLE_ID_TOKEN_INVALID'
  /** this server has no Google OAuth client configured */
  | 'GOOGLE_NOT_CONFIGURED'
  /** the user's Google authorization is missing or revoked: sign in with Google again */
  | 'GOOGLE_SIGN_IN_REQUIRED'
  /** Google's certificates or token endpoint could not be reached; retry later */
  | 'GOOGLE_UNAVAILABLE'
  /** the idempotency key was used for another request */
  | 'IDEMPOTENCY_KEY_REUSED'
  /** an unexpected failure on the server (logged there, not shown) */
  | 'INTERNAL'
  /** another device holds the user's lock */
  | 'LOCK_HELD'
  /** the call needs the caller's current lock and fencing token */
  | 'LOCK_REQUIRED'
  /** no staged uploads or upload-deletions to commit */
  | 'NOTHING_TO_COMMIT'
  /** no such object for this user */
  | 'NOT_FOUND'
  /** the upload is larger than the server accepts */
  | 'PAYLOAD_TOO_LARGE'
  /** too many requests from this device, user or address: retry after extensions.retryAfterSeconds (HTTP 429, Retry-After) */
  | 'RATE_LIMITED'
  /** a committed file's staged bytes are gone from staging */
  | 'STAGED_UPLOAD_MISSING'
  /** the server's staging area has no room (HTTP 507): the upload keeps its bytes; resume it later */
  | 'STAGING_FULL'
  /** the user's staged, uncommitted bytes would pass the server's per-user staging quota: commit or discard some first */
  | 'STAGING_QUOTA_EXCEEDED'
  /** the fencing token is not the current one: the lock was lost */
  | 'STALE_FENCING_TOKEN'
  /** the batch's outbound transfer failed: commit again to resume it */
  | 'TRANSFER_FAILED'
  /** a transfer holding the lock has not ended */
  | 'TRANSFER_IN_PROGRESS'
  /** no valid device token was given */
  | 'UNAUTHENTICATED'
  /** no such file in the file index */
  | 'UNKNOWN_FILE'
  /** the batch already has an upload-deletion (or an upload) of the file: a batch uploads a file or deletes it, not both */
  | 'UPLOAD_AND_DELETION_IN_BATCH'
  /** a staged upload has not received all its bytes */
  | 'UPLOAD_INCOMPLETE'
  /** an upload's version must be the file index version + 1 */
  | 'WRONG_VERSION';

/** One file of the user's file index: its latest committed version. */
export type FileEntry = {
  appMetaData: Maybe<Scalars['JSONString']['output']>;
  cloudFileName: Scalars['String']['output'];
  deleted: Scalars['Boolean']['output'];
  fileUUID: Scalars['ID']['output'];
  mimeType: Scalars['String']['output'];
  sha256: Scalars['String']['output'];
  size: Scalars['Float']['output'];
  updatedAt: Scalars['DateTime']['output'];
  version: Scalars['Int']['output'];
};

export type FileIndex = {
  /** The user's event log position when the index was read: subscribe to fileIndexChanged after it. */
  eventSeq: Scalars['Int']['output'];
  files: Array<FileEntry>;
};

export type FileIndexChange = {
  at: Scalars['DateTime']['output'];
  /** The device whose commit changed the index. */
  deviceId: Scalars['ID']['output'];
  files: Array<ChangedFile>;
  operationId: Scalars['ID']['output'];
  seq: Scalars['Int']['output'];
};

export type FileVersionInput = {
  fileUUID: Scalars['String']['input'];
  version: Scalars['Int']['input'];
};

/** A device signed in with Google. */
export type GoogleSignIn = {
  deviceName: Scalars['String']['output'];
  /** Whether the server holds the user's Drive authorization (a refresh token Google has not refused). False: sign in again with an authorization code. */
  driveAccess: Scalars['Boolean']['output'];
  /** True when this sign-in created the user. */
  newUser: Scalars['Boolean']['output'];
  /** The device token, shown once: send it as Authorization: Bearer <token>. */
  token: Scalars['String']['output'];
  userId: Scalars['ID']['output'];
  userName: Scalars['String']['output'];
};

/** How an app signs a person in with Google on this server: an OAuth code flow with this client, ending in signInWithGoogle. */
export type GoogleSignInInfo = {
  /** Google's consent page, where a web app sends the person (response_type=code). */
  authorizationUrl: Scalars['String']['output'];
  /** The server's OAuth client id (client_id). */
  clientId: Scalars['String']['output'];
  /** The scopes to ask for: openid and email to sign in, drive.file for the Drive backend. */
  scopes: Array<Scalars['String']['output']>;
};

export type Limits = {
  /** Bytes of files in one batch. */
  batchMaxBytes: Scalars['Float']['output'];
  /** Files up to this size may go by the batch paths; larger ones go over tus. */
  batchMaxFileBytes: Scalars['Int']['output'];
  /** Files in one batch upload or download. */
  batchMaxFiles: Scalars['Int']['output'];
  lockMaxTtlSeconds: Scalars['Int']['output'];
  /** The longest waitSeconds a lock call may ask for. */
  lockMaxWaitSeconds: Scalars['Int']['output'];
  /** The lease of a lock when lock is called without ttlSeconds. */
  lockTtlSeconds: Scalars['Int']['output'];
  maxAppMetaDataBytes: Scalars['Int']['output'];
  maxCloudFileNameBytes: Scalars['Int']['output'];
  maxIdempotencyKeyLength: Scalars['Int']['output'];
  maxUploadBytes: Scalars['Float']['output'];
};

/** The caller's hold on the user's lock. */
export type LockGrant = {
  /** When the lease runs out unless renewed. */
  expiresAt: Scalars['DateTime']['output'];
  /** Pass it with every write; it grows with every new grant. */
  fencingToken: Scalars['Int']['output'];
  /** True when the caller already held the lock. */
  heldPreviously: Scalars['Boolean']['output'];
  /** The transfer holding the lock, if any. */
  operationId: Maybe<Scalars['ID']['output']>;
};

export type Mutation = {
  /** Closes the batch of staged uploads and upload-deletions into an outbound transfer that runs asynchronously. Again under the same lock grant: the same operation, resumed if it failed. */
  commit: Operation;
  /** Records upload-deletions for the next commit. Needs the caller's lock. */
  deleteFiles: Array<UploadDeletion>;
  /** Obtains the user's lock. By the holder it succeeds again, renewed, with the same token. Held by another device: LOCK_HELD with retryAfterSeconds; devices waiting for the lock get it in the order they first asked. */
  lock: LockGrant;
  renewLock: LockGrant;
  /** The server half of a client's reset from error: releases the device's lock and drops its uncommitted staged uploads and upload-deletions. A running transfer is left to end on its own. */
  resetServerState: ResetResult;
  /** Signs a device in with Google, creating the user on the first sign-in: with a Google ID token (audience: the server's OAuth client id), or with only an authorization code whose grant includes the openid scope (a web app's redirect to serverInfo.googleSignIn.authorizationUrl). With authorizationCode (the app's OAuth code flow, scope drive.file, offline access) the server also stores the user's Drive authorization. Errors: GOOGLE_ID_TOKEN_INVALID (extensions.reason), GOOGLE_AUTHORIZATION_CODE_INVALID, GOOGLE_UNAVAILABLE, GOOGLE_NOT_CONFIGURED, BAD_INPUT. */
  signInWithGoogle: GoogleSignIn;
  /** Copies the named files (at their index versions) from the cloud into staging for download, then releases the lock. */
  startInboundTransfer: Operation;
  /** Releases the lock and discards what was staged under it and not committed. False when the caller did not hold it. */
  unlock: Scalars['Boolean']['output'];
};


export type MutationCommitArgs = {
  fencingToken: Scalars['Int']['input'];
  idempotencyKey: Scalars['String']['input'];
};


export type MutationDeleteFilesArgs = {
  fencingToken: Scalars['Int']['input'];
  files: Array<FileVersionInput>;
  idempotencyKey: Scalars['String']['input'];
};


export type MutationLockArgs = {
  idempotencyKey: Scalars['String']['input'];
  ttlSeconds?: InputMaybe<Scalars['Int']['input']>;
  waitSeconds?: InputMaybe<Scalars['Int']['input']>;
};


export type MutationRenewLockArgs = {
  fencingToken: Scalars['Int']['input'];
  idempotencyKey: Scalars['String']['input'];
  ttlSeconds?: InputMaybe<Scalars['Int']['input']>;
};


export type MutationResetServerStateArgs = {
  idempotencyKey: Scalars['String']['input'];
};


export type MutationSignInWithGoogleArgs = {
  authorizationCode?: InputMaybe<Scalars['String']['input']>;
  codeVerifier?: InputMaybe<Scalars['String']['input']>;
  deviceName: Scalars['String']['input'];
  idToken?: InputMaybe<Scalars['String']['input']>;
  redirectUri?: InputMaybe<Scalars['String']['input']>;
};


export type MutationStartInboundTransferArgs = {
  fencingToken: Scalars['Int']['input'];
  files: Array<FileVersionInput>;
  idempotencyKey: Scalars['String']['input'];
};


export type MutationUnlockArgs = {
  fencingToken: Scalars['Int']['input'];
  idempotencyKey: Scalars['String']['input'];
};

/** An outbound (staging to cloud) or inbound (cloud to staging) transfer. */
export type Operation = {
  attempts: Scalars['Int']['output'];
  bytesDone: Scalars['Float']['output'];
  bytesTotal: Scalars['Float']['output'];
  createdAt: Scalars['DateTime']['output'];
  errorCode: Maybe<Scalars['String']['output']>;
  errorMessage: Maybe<Scalars['String']['output']>;
  failedPhase: Maybe<Scalars['String']['output']>;
  files: Array<OperationFile>;
  filesDone: Scalars['Int']['output'];
  filesTotal: Scalars['Int']['output'];
  finishedAt: Maybe<Scalars['DateTime']['output']>;
  id: Scalars['ID']['output'];
  kind: OperationKind;
  state: OperationState;
  updatedAt: Scalars['DateTime']['output'];
};

export type OperationFile = {
  action: TransferAction;
  /** For a staged download: where to GET it. */
  downloadUrl: Maybe<Scalars['String']['output']>;
  fileUUID: Scalars['ID']['output'];
  sha256: Scalars['String']['output'];
  size: Scalars['Float']['output'];
  state: TransferFileState;
  version: Scalars['Int']['output'];
};

export type OperationKind =
  | 'INBOUND'
  | 'OUTBOUND';

export type OperationState =
  | 'FAILED'
  | 'IN_PROGRESS'
  | 'NOT_STARTED'
  | 'SUCCEEDED';

export type Query = {
  /** The device whose token the request carries. */
  device: Device;
  /** The caller's user's event log position now, without reading the index: while a fileIndexChanged subscription is down, a client polls it and syncs when it has moved past the last seq it saw. */
  eventSeq: Scalars['Int']['output'];
  fileIndex: FileIndex;
  /** A transfer of the caller's user (the polling fallback of transferProgress). */
  operation: Maybe<Operation>;
  serverInfo: ServerInfo;
};


export type QueryOperationArgs = {
  id: Scalars['ID']['input'];
};

export type ResetResult = {
  discardedDeletions: Scalars['Int']['output'];
  discardedUploads: Scalars['Int']['output'];
  releasedLock: Scalars['Boolean']['output'];
};

/** What a client needs to find the byte plane and respect the server's limits. */
export type ServerInfo = {
  cloudBackend: Scalars['String']['output'];
  /** Where staged small files are downloaded many in one response (POST). */
  downloadBatchUrl: Scalars['String']['output'];
  /** The URL of a staged download, with {fileUUID} and {version} to fill in. */
  downloadUrlPattern: Scalars['String']['output'];
  /** Null when this server does not offer Google sign-in. */
  googleSignIn: Maybe<GoogleSignInInfo>;
  /** graphql-ws subscriptions. */
  graphqlWebSocketUrl: Scalars['String']['output'];
  limits: Limits;
  /** Where tus uploads are created (POST). */
  tusEndpoint: Scalars['String']['output'];
  /** Where batch uploads of small files are sent (POST); `/held` after it asks which are held. */
  uploadBatchUrl: Scalars['String']['output'];
  version: Scalars['String']['output'];
};

export type Subscription = {
  /** Each commit that moved the user's file index on, after sequence number `after` (FileIndex.eventSeq). */
  fileIndexChanged: FileIndexChange;
  /** The events of a transfer after sequence number `after`, ending with SUCCEEDED or FAILED. */
  transferProgress: TransferEvent;
};


export type SubscriptionFileIndexChangedArgs = {
  after?: InputMaybe<Scalars['Int']['input']>;
};


export type SubscriptionTransferProgressArgs = {
  after?: InputMaybe<Scalars['Int']['input']>;
  operationId: Scalars['ID']['input'];
};

export type TransferAction =
  | 'DELETE'
  | 'DOWNLOAD'
  | 'UPLOAD';

/** One event of a transfer, from the user's durable event log. */
export type TransferEvent = {
  at: Scalars['DateTime']['output'];
  bytesDone: Maybe<Scalars['Float']['output']>;
  bytesTotal: Maybe<Scalars['Float']['output']>;
  errorCode: Maybe<Scalars['String']['output']>;
  errorMessage: Maybe<Scalars['String']['output']>;
  /** FILES_TRANSFERRED: the files of one chunk of the transfer, in order. */
  files: Maybe<Array<TransferredFile>>;
  filesDone: Maybe<Scalars['Int']['output']>;
  filesTotal: Maybe<Scalars['Int']['output']>;
  operationId: Scalars['ID']['output'];
  /** Resume a subscription with after: seq to miss nothing. */
  seq: Scalars['Int']['output'];
  state: Maybe<OperationState>;
  /** OPERATION_STATE, FILES_TRANSFERRED */
  type: Scalars['String']['output'];
};

export type TransferFileState =
  | 'ABANDONED'
  | 'DONE'
  | 'INDEXED'
  | 'PENDING';

/** A file a transfer finished: uploaded to or deleted from the cloud, or staged for download. */
export type TransferredFile = {
  bytes: Scalars['Float']['output'];
  fileUUID: Scalars['ID']['output'];
  version: Scalars['Int']['output'];
};

export type UploadDeletion = {
  fileUUID: Scalars['ID']['output'];
  /** The version being deleted (the file index version). */
  version: Scalars['Int']['output'];
};
