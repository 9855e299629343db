import { maxIdempotencyKeyLength } from "../../idempotency/idempotentMutation.ts";
import { maxAppMetaDataBytes, maxCloudFileNameBytes } from "../../fileIndex/fileNames.ts";
import { downloadsPath } from "../../downloads/downloadHandler.ts";
import { uploadsPath } from "../../uploads/UploadPlane.ts";
import { downloadBatchesPath, uploadBatchesPath } from "@smsync/protocol";
import { builder } from "../builder.ts";
import { googleSignInScopes } from "../../google/googleScopes.ts";
import { serverVersion } from "../../version.ts";

interface Limits {
  maxUploadBytes: number;
  batchMaxFileBytes: number;
  batchMaxFiles: number;
  batchMaxBytes: number;
  maxCloudFileNameBytes: number;
  maxAppMetaDataBytes: number;
  maxIdempotencyKeyLength: number;
  lockTtlSeconds: number;
  lockMaxTtlSeconds: number;
  lockMaxWaitSeconds: number;
}

const LimitsType = builder.objectRef<Limits>("Limits").implement({
  fields: (t) => ({
    maxUploadBytes: t.exposeFloat("maxUploadBytes"),
    batchMaxFileBytes: t.exposeInt("batchMaxFileBytes", {
      description: "Files up to this size may go by the batch paths; larger ones go over tus.",
    }),
    batchMaxFiles: t.exposeInt("batchMaxFiles", { description: "Files in one batch upload or download." }),
    batchMaxBytes: t.exposeFloat("batchMaxBytes", { description: "Bytes of files in one batch." }),
    maxCloudFileNameBytes: t.exposeInt("maxCloudFileNameBytes"),
    maxAppMetaDataBytes: t.exposeInt("maxAppMetaDataBytes"),
    maxIdempotencyKeyLength: t.exposeInt("maxIdempotencyKeyLength"),
    lockTtlSeconds: t.exposeInt("lockTtlSeconds", {
      description: "The lease of a lock when lock is called without ttlSeconds.",
    }),
    lockMaxTtlSeconds: t.exposeInt("lockMaxTtlSeconds"),
    lockMaxWaitSeconds: t.exposeInt("lockMaxWaitSeconds", {
      description: "The longest waitSeconds a lock call may ask for.",
    }),
  }),
});

interface GoogleSignInInfo {
  clientId: string;
  authorizationUrl: string;
  scopes: string[];
}

const GoogleSignInInfoType = builder.objectRef<GoogleSignInInfo>("GoogleSignInInfo").implement({
  description:
    "How an app signs a person in with Google on this server: an OAuth code flow with this client, ending in signInWithGoogle.",
  fields: (t) => ({
    clientId: t.exposeString("clientId", { description: "The server's OAuth client id (client_id)." }),
    authorizationUrl: t.exposeString("authorizationUrl", {
      description: "Google's consent page, where a web app sends the person (response_type=code).",
    }),
    scopes: t.exposeStringList("scopes", {
      description: "The scopes to ask for: openid and email to sign in, drive.file for the Drive backend.",
    }),
  }),
});

interface ServerInfo {
  version: string;
  cloudBackend: string;
  tusEndpoint: string;
  uploadBatchUrl: string;
  downloadBatchUrl: string;
  downloadUrlPattern: string;
  graphqlWebSocketUrl: string;
  limits: Limits;
  googleSignIn: GoogleSignInInfo | null;
}

const ServerInfoType = builder.objectRef<ServerInfo>("ServerInfo").implement({
  description: "What a client needs to find the byte plane and respect the server's limits.",
  fields: (t) => ({
    version: t.exposeString("version"),
    cloudBackend: t.exposeString("cloudBackend"),
    tusEndpoint: t.exposeString("tusEndpoint", { description: "Where tus uploads are created (POST)." }),
    uploadBatchUrl: t.exposeString("uploadBatchUrl", {
      description: "Where batch uploads of small files are sent (POST); `/held` after it asks which are held.",
    }),
    downloadBatchUrl: t.exposeString("downloadBatchUrl", {
      description: "Where staged small files are downloaded many in one response (POST).",
    }),
    downloadUrlPattern: t.exposeString("downloadUrlPattern", {
      description: "The URL of a staged download, with {fileUUID} and {version} to fill in.",
    }),
    graphqlWebSocketUrl: t.exposeString("graphqlWebSocketUrl", { description: "graphql-ws subscriptions." }),
    limits: t.field({ type: LimitsType, resolve: (info) => info.limits }),
    googleSignIn: t.field({
      type: GoogleSignInInfoType,
      nullable: true,
      description: "Null when this server does not offer Google sign-in.",
      resolve: (info) => info.googleSignIn,
    }),
  }),
});

builder.queryField("serverInfo", (t) =>
  t.field({
    type: ServerInfoType,
    resolve: (_root, _args, { services, origin: base }) => {
      const { config } = services;
      return {
        version: serverVersion,
        cloudBackend: services.cloud.name,
        tusEndpoint: `${base}${uploadsPath}`,
        uploadBatchUrl: `${base}${uploadBatchesPath}`,
        downloadBatchUrl: `${base}${downloadBatchesPath}`,
        downloadUrlPattern: `${base}${downloadsPath}/{fileUUID}/{version}`,
        graphqlWebSocketUrl: `${base.replace(/^http/, "ws")}/graphql`,
        limits: {
          maxUploadBytes: config.maxUploadBytes,
          batchMaxFileBytes: config.batchMaxFileBytes,
          batchMaxFiles: config.batchMaxFiles,
          batchMaxBytes: config.batchMaxBytes,
          maxCloudFileNameBytes,
          maxAppMetaDataBytes,
          maxIdempotencyKeyLength,
          lockTtlSeconds: config.lockTtlSeconds,
          lockMaxTtlSeconds: config.lockMaxTtlSeconds,
          lockMaxWaitSeconds: config.lockMaxWaitSeconds,
        },
        googleSignIn: config.google
          ? {
              clientId: config.google.clientId,
              authorizationUrl: config.google.authorizationUrl,
              scopes: googleSignInScopes,
            }
          : null,
      };
    },
  }),
);
