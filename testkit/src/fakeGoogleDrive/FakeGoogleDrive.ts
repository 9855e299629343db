// A fake Google Drive (v3) for tests: plain node:http on 127.0.0.1 serving
// what the Google Drive backend uses (files create/list/get/delete/update,
// alt=media with Range, the resumable and multipart uploads), checking bearer
// tokens it issued, with faults injected on command and a log of every
// request the tests can read. Point the backend's rootUrl at `rootUrl`.
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { DriveStore, type FakeDriveFile } from "./DriveStore.ts";
import { FaultPlan, type DriveFault, type DriveRequestKind, type FaultSpec } from "./faults.ts";
import {
  createFile,
  deleteFile,
  generateIds,
  downloadMedia,
  getFile,
  listFiles,
  updateFile,
  type FilesRequest,
} from "./filesApi.ts";
import { sendDriveError } from "./http.ts";
import { multipartUpload } from "./multipartUploads.ts";
import {
  parseContentRange,
  sessionOf,
  startUpload,
  uploadChunk,
  uploadStatus,
  type UploadRequest,
} from "./resumableUploads.ts";

export interface DriveRequestLogEntry {
  kind: DriveRequestKind | "unknown";
  method: string;
  url: string;
  account?: string;
  status: number | "dropped" | "answerLost";
  contentRange?: string;
  /** Body bytes that reached the fake (for a dropped chunk: up to the cut). */
  bodyBytes: number;
  /** Body bytes the fake sent (downloads; for a cut one: up to the cut). */
  sentBytes?: number;
  fault?: DriveFault["type"];
}

function kindOf(method: string, url: URL): { kind: DriveRequestKind; fileId?: string } | undefined {
  const path = url.pathname;
  if (path === "/upload/drive/v3/files") {
    if (method === "POST" && url.searchParams.get("uploadType") === "resumable") return { kind: "startUpload" };
    if (method === "POST" && url.searchParams.get("uploadType") === "multipart") return { kind: "multipartUpload" };
    if (method === "PUT" && url.searchParams.has("upload_id")) return { kind: "uploadChunk" }; // or a status query: decided by Content-Range
    return undefined;
  }
  if (path === "/drive/v3/files") {
    if (method === "POST") return { kind: "createFile" };
    if (method === "GET") return { kind: "listFiles" };
    return undefined;
  }
  if (path === "/drive/v3/files/generateIds" && method === "GET") return { kind: "generateIds" };
  const file = /^\/drive\/v3\/files\/([^/]+)$/.exec(path);
  if (!file) return undefined;
  const fileId = decodeURIComponent(file[1]!);
  if (method === "GET") return { kind: url.searchParams.get("alt") === "media" ? "downloadMedia" : "getFile", fileId };
  if (method === "DELETE") return { kind: "deleteFile", fileId };
  if (method === "PATCH") return { kind: "updateFile", fileId };
  return undefined;
}

export class FakeGoogleDrive {
  readonly store = new DriveStore();
  readonly faults = new FaultPlan();
  readonly log: DriveRequestLogEntry[] = [];
  private readonly tokens = new Map<string, string>(); // token -> account
  private readonly expiredTokens = new Set<string>();
  private wrongMd5Pending = false;
  /** Called for each authorized request before it is served (a test can kill the server process here). */
  onRequest?: (entry: DriveRequestLogEntry) => void;
  private server!: Server;
  url = "";

  /**
   * `accountOfToken`: also accept tokens issued elsewhere (a fake token endpoint's), as the
   * account it names, or undefined when the token is unknown or expired.
   */
  constructor(private readonly accountOfToken?: (token: string) => string | undefined) {}

  static async start(
    options: { accountOfToken?: (token: string) => string | undefined } = {},
  ): Promise<FakeGoogleDrive> {
    const drive = new FakeGoogleDrive(options.accountOfToken);
    drive.server = createServer((req, res) => {
      drive.handle(req, res).catch((error) => {
        if (!res.headersSent) sendDriveError(res, 500, "backendError", String(error));
        else res.destroy();
      });
    });
    await new Promise<void>((resolve) => drive.server.listen(0, "127.0.0.1", () => resolve()));
    drive.url = `http://127.0.0.1:${(drive.server.address() as AddressInfo).port}`;
    return drive;
  }

  /** The backend's rootUrl (with the trailing slash googleapis expects). */
  get rootUrl(): string {
    return `${this.url}/`;
  }

  /** A new access token for the account's Drive. */
  issueToken(account: string): string {
    const token = `ya29.fake-${randomBytes(9).toString("base64url")}`;
    this.tokens.set(token, account);
    return token;
  }

  /** The token is refused from now on (401), as an expired one. */
  expireToken(token: string): void {
    this.expiredTokens.add(token);
  }

  /** The account a token acts for, or undefined if the token is unknown or expired. */
  accountOf(token: string): string | undefined {
    if (this.expiredTokens.has(token)) return undefined;
    return this.tokens.get(token) ?? this.accountOfToken?.(token);
  }

  injectFault(spec: FaultSpec): void {
    this.faults.arm(spec);
  }

  /** The account's files (folders included), trashed or not. */
  filesOf(account: string): FakeDriveFile[] {
    return this.store.filesOf(account);
  }

  requestsOf(kind: DriveRequestKind): DriveRequestLogEntry[] {
    return this.log.filter((entry) => entry.kind === kind);
  }

  /** How many requests of each kind the log holds (from entry `from` on; of one account, if given). */
  requestCounts(
    options: { from?: number; account?: string } = {},
  ): Partial<Record<DriveRequestKind | "unknown", number>> {
    const counts: Partial<Record<DriveRequestKind | "unknown", number>> = {};
    for (const entry of this.log.slice(options.from ?? 0)) {
      if (options.account !== undefined && entry.account !== options.account) continue;
      counts[entry.kind] = (counts[entry.kind] ?? 0) + 1;
    }
    return counts;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.url);
    const method = req.method ?? "GET";
    const entry: DriveRequestLogEntry = {
      kind: "unknown",
      method,
      url: url.pathname + url.search,
      status: 0,
      bodyBytes: 0,
    };
    if (req.headers["content-range"]) entry.contentRange = String(req.headers["content-range"]);
    this.log.push(entry);
    res.on(
      "finish",
      () => entry.status !== "answerLost" && entry.status !== "dropped" && (entry.status = res.statusCode),
    );
    const route = kindOf(method, url);
    if (!route) return sendDriveError(res, 404, "notFound", `the fake Drive does not serve ${method} ${url.pathname}`);
    const range = route.kind === "uploadChunk" ? parseContentRange(req.headers["content-range"]) : undefined;
    entry.kind = route.kind === "uploadChunk" && range?.kind !== "chunk" ? "uploadStatus" : route.kind;

    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
    const account = token ? this.accountOf(token) : undefined;
    if (!token || !account) {
      req.resume();
      return sendDriveError(res, 401, "authError", "Invalid Credentials", {
        "www-authenticate": 'Bearer realm="https://accounts.google.com/"',
      });
    }
    entry.account = account;
    this.onRequest?.(entry);

    const fault = this.faults.strike(entry.kind, account);
    if (fault) entry.fault = fault.type;
    const servedFaults: DriveFault["type"][] = [
      "dropConnection",
      "wrongMd5",
      "expireSession",
      "loseAnswer",
      "failAfterServing",
      "ignoreRange",
    ];
    if (fault && !servedFaults.includes(fault.type)) {
      req.resume();
      return this.answerFault(res, fault, token);
    }
    if (fault?.type === "wrongMd5") this.wrongMd5Pending = true;
    if (fault?.type === "loseAnswer") loseAnswer(req, res, entry);
    if (fault?.type === "failAfterServing") failAfterServing(res, fault.status);

    const files: FilesRequest = { req, res, url, account, store: this.store };
    const cutDownload = fault?.type === "dropConnection" && entry.kind === "downloadMedia" && fault.afterBytes > 0;
    if (fault?.type === "dropConnection" && entry.kind !== "uploadChunk" && !cutDownload) {
      entry.status = "dropped";
      req.socket.destroy();
      return;
    }
    switch (entry.kind) {
      case "createFile":
        return createFile(files);
      case "generateIds":
        return generateIds(files);
      case "listFiles":
        return listFiles(files);
      case "getFile":
        return getFile(files, route.fileId!);
      case "downloadMedia":
        entry.sentBytes = downloadMedia(files, route.fileId!, {
          cutAfter: cutDownload ? (fault as { afterBytes: number }).afterBytes : undefined,
          ignoreRange: fault?.type === "ignoreRange",
        });
        if (cutDownload) entry.status = "dropped";
        return;
      case "deleteFile":
        return deleteFile(files, route.fileId!);
      case "updateFile":
        return updateFile(files, route.fileId!);
    }
    const upload: UploadRequest = { ...files, origin: this.url, md5Override: () => this.takeWrongMd5() };
    if (entry.kind === "multipartUpload") {
      entry.bodyBytes = await multipartUpload(upload);
      return;
    }
    if (entry.kind === "startUpload") return startUpload(upload);
    const session = sessionOf(upload);
    if (!session) return void req.resume();
    if (fault?.type === "expireSession") {
      session.expired = true;
      req.resume();
      return sendDriveError(res, 404, "notFound", "The upload session has expired.");
    }
    if (!range)
      return sendDriveError(res, 400, "badContentRange", `bad Content-Range: ${req.headers["content-range"]}`);
    if (range.kind === "status") {
      req.resume();
      return uploadStatus(upload, session, range);
    }
    const dropAfter = fault?.type === "dropConnection" ? fault.afterBytes : undefined;
    const { bodyBytes, dropped } = await uploadChunk(upload, session, range, dropAfter);
    entry.bodyBytes = bodyBytes;
    if (dropped) entry.status = "dropped";
  }

  private takeWrongMd5(): string | undefined {
    if (!this.wrongMd5Pending) return undefined;
    this.wrongMd5Pending = false;
    return "0".repeat(32);
  }

  private answerFault(res: ServerResponse, fault: DriveFault, token: string): void {
    switch (fault.type) {
      case "unauthorized":
        this.expireToken(token);
        return sendDriveError(res, 401, "authError", "Invalid Credentials");
      case "rateLimit":
        return sendDriveError(res, 403, fault.reason, "Rate Limit Exceeded");
      case "tooManyRequests":
        return sendDriveError(
          res,
          429,
          "rateLimitExceeded",
          "Too Many Requests",
          fault.retryAfterSeconds === undefined ? {} : { "retry-after": String(fault.retryAfterSeconds) },
        );
      case "storageFull":
        return sendDriveError(res, 403, fault.reason, "The user's Drive storage quota has been exceeded.");
      case "serverError":
        return sendDriveError(res, fault.status, "backendError", "Backend Error");
    }
  }
}

/** The request is served, but its answer never leaves: the connection is cut instead. */
function loseAnswer(req: IncomingMessage, res: ServerResponse, entry: DriveRequestLogEntry): void {
  entry.status = "answerLost";
  res.writeHead = () => res;
  res.end = (() => {
    req.socket.destroy();
    return res;
  }) as typeof res.end;
}

/** The request is served, but answered with a 5xx: the answer it would have had is replaced. */
function failAfterServing(res: ServerResponse, status: 500 | 503): void {
  const [writeHead, end] = [res.writeHead.bind(res), res.end.bind(res)];
  res.writeHead = () => res;
  res.end = (() => {
    res.writeHead = writeHead;
    res.end = end;
    sendDriveError(res, status, "backendError", "Backend Error");
    return res;
  }) as typeof res.end;
}
