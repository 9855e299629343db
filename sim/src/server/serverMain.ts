// A server process of the simulator (forked by processServer.ts with an IPC
// channel): the real smsync server (startApp, configured from SMSYNC_* as
// startTestServer configures it) over the local directory or the Google
// Drive backend on the simulator's fake Drive, behind a FaultyCloudStorage
// per user. The simulator arms cloud faults and crash points through the
// channel, and reads the cloud behind the faults. It may SIGKILL this process
// at any moment, or a crash point does, and starts another on the same state.
import { randomBytes } from "node:crypto";
import { buffer } from "node:stream/consumers";
import {
  type CloudStorage,
  type Config,
  createLogger,
  type GoogleAccessTokens,
  loadConfig,
  LocalDirectoryStorage,
  startApp,
} from "@smsync/api";
import { armCrashPoint, disarmCrashPoints } from "@smsync/api/faults";
import { MemoryDriveFolderRecords } from "@smsync/testkit/fakeGoogleDrive";
import { PerUserFaultyCloud } from "../perUserFaultyCloud.ts";
import { simDriveToken } from "./driveTokens.ts";
import { simEnvironment, type FromServer, type ServerRequest, type ServerResults, type ToServer } from "./protocol.ts";

/** Tokens in the format the simulator's fake Drive accepts as the user's (its accountOfToken); fresh after a 401. */
class SimDriveTokens implements GoogleAccessTokens {
  private readonly current = new Map<string, string>();

  accessToken(userId: string): Promise<string> {
    const token = this.current.get(userId) ?? simDriveToken(userId, randomBytes(6).toString("hex"));
    this.current.set(userId, token);
    return Promise.resolve(token);
  }

  async refreshAfterUnauthorized(userId: string): Promise<string> {
    this.current.delete(userId);
    return this.accessToken(userId);
  }
}

async function cloudOf(config: Config): Promise<CloudStorage> {
  if (process.env[simEnvironment.cloud] !== "google-drive") return new LocalDirectoryStorage(config.localCloudDir);
  // Loaded only here: a server on the local cloud starts without googleapis.
  const { GoogleDriveStorage } = await import("@smsync/api/googleDrive");
  return new GoogleDriveStorage({
    tokens: new SimDriveTokens(),
    // Lost with the process: the next one finds each app folder again by its appProperties.
    folderRecords: new MemoryDriveFolderRecords(),
    rootUrl: process.env[simEnvironment.driveRootUrl]!,
    // Files over 512 KiB go up in several chunks, so a fault or a crash can strike mid-upload; those up
    // to 256 KiB (the schedule's small and empty ones) in one multipart request.
    chunkSize: 256 * 1024,
    oneRequestMaxBytes: 256 * 1024,
    // Millisecond backoff; a Retry-After (the sim's are at most 1 s) is honoured as it is.
    retry: { baseDelayMs: 1, maxDelayMs: 10 },
  });
}

const config = loadConfig(process.env);
const cloud = new PerUserFaultyCloud(await cloudOf(config));
const app = await startApp(config, createLogger(config.logLevel), { cloud });

async function serve(request: ServerRequest): Promise<ServerResults[ServerRequest["type"]]> {
  switch (request.type) {
    case "armCloudFault":
      cloud.forUser(request.userId).fail(request.spec);
      return null;
    case "healCloud":
      for (const userId of request.userIds) cloud.forUser(userId).heal();
      return null;
    case "armCrashPoint":
      armCrashPoint(request.point, request.skip);
      return null;
    case "disarmCrashPoints":
      disarmCrashPoints();
      return null;
    case "listCloud":
      return cloud.inner.listObjects(request.userId);
    case "readCloud":
      return (await buffer(await cloud.inner.readObject(request.userId, request.objectId))).toString("base64");
  }
}

const send = (message: FromServer) => process.send!(message);
process.on("message", (message: ToServer) => {
  serve(message.request).then(
    (result) => send({ type: "answer", id: message.id, ok: true, result }),
    (error: Error) => send({ type: "answer", id: message.id, ok: false, error: error.stack ?? String(error) }),
  );
});
// The simulator gone (it crashed or was killed): this process must not outlive it.
process.on("disconnect", () => process.exit(0));
send({ type: "ready", url: app.url });
