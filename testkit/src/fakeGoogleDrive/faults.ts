// Faults the fake Drive injects on command: a test arms one for the nth
// request of a kind (counted from when it is armed), for `times` requests in
// a row (of every account, or of one), and the fake answers those requests
// with the fault instead of serving them (a dropped connection serves part of
// the body first).
export type DriveRequestKind =
  | "createFile"
  | "generateIds"
  | "listFiles"
  | "getFile"
  | "downloadMedia"
  | "deleteFile"
  | "updateFile"
  | "startUpload"
  | "multipartUpload"
  | "uploadChunk"
  | "uploadStatus";

export type DriveFault =
  /** 401: the access token has expired; the fake refuses that token from now on. */
  | { type: "unauthorized" }
  | { type: "rateLimit"; reason: "rateLimitExceeded" | "userRateLimitExceeded" }
  /** 429, with Retry-After when given. */
  | { type: "tooManyRequests"; retryAfterSeconds?: number }
  /** 403: the user's Drive storage is full. */
  | { type: "storageFull"; reason: "storageQuotaExceeded" | "quotaExceeded" }
  | { type: "serverError"; status: 500 | 503 }
  /** The connection is cut after this many bytes of the request body reached the fake (upload chunks). */
  | { type: "dropConnection"; afterBytes: number }
  /** A download's Range is not honoured: the whole content is answered, 200. */
  | { type: "ignoreRange" }
  /** Drive carries the request out, then the connection drops before its answer (any kind of request). */
  | { type: "loseAnswer" }
  /** Drive carries the request out, then answers a 5xx all the same (any kind of request). */
  | { type: "failAfterServing"; status: 500 | 503 }
  /** The upload session expires: this request and every later one on it answer 404. */
  | { type: "expireSession" }
  /** The upload completes, but its answer reports a wrong md5Checksum. */
  | { type: "wrongMd5" };

export const driveFaults = {
  unauthorized: (): DriveFault => ({ type: "unauthorized" }),
  rateLimit: (reason: "rateLimitExceeded" | "userRateLimitExceeded" = "rateLimitExceeded"): DriveFault => ({
    type: "rateLimit",
    reason,
  }),
  tooManyRequests: (retryAfterSeconds?: number): DriveFault => ({ type: "tooManyRequests", retryAfterSeconds }),
  storageFull: (reason: "storageQuotaExceeded" | "quotaExceeded" = "storageQuotaExceeded"): DriveFault => ({
    type: "storageFull",
    reason,
  }),
  serverError: (status: 500 | 503 = 500): DriveFault => ({ type: "serverError", status }),
  dropConnection: (afterBytes: number): DriveFault => ({ type: "dropConnection", afterBytes }),
  ignoreRange: (): DriveFault => ({ type: "ignoreRange" }),
  loseAnswer: (): DriveFault => ({ type: "loseAnswer" }),
  failAfterServing: (status: 500 | 503 = 500): DriveFault => ({ type: "failAfterServing", status }),
  expireSession: (): DriveFault => ({ type: "expireSession" }),
  wrongMd5: (): DriveFault => ({ type: "wrongMd5" }),
};

export interface FaultSpec {
  /** The kind of request that counts; "any" counts every request. */
  on: DriveRequestKind | "any";
  fault: DriveFault;
  /** The first matching request (1-based, from arming) that gets the fault. Default 1. */
  nth?: number;
  /** How many matching requests in a row get it. Default 1. */
  times?: number;
  /** Only this account's requests count (several users' tests sharing one fake); every account's by default. */
  account?: string;
}

interface ArmedFault extends Required<Omit<FaultSpec, "account">> {
  account?: string;
  seen: number;
  struck: number;
}

export class FaultPlan {
  private armed: ArmedFault[] = [];

  arm(spec: FaultSpec): void {
    this.armed.push({ nth: 1, times: 1, ...spec, seen: 0, struck: 0 });
  }

  /** Disarms every fault, or only those armed for `account`. */
  clear(account?: string): void {
    this.armed = account === undefined ? [] : this.armed.filter((fault) => fault.account !== account);
  }

  /** The fault for this request of `account`, if one strikes; every armed fault that matches counts the request. */
  strike(kind: DriveRequestKind, account?: string): DriveFault | undefined {
    let struck: DriveFault | undefined;
    for (const fault of this.armed) {
      if (fault.on !== "any" && fault.on !== kind) continue;
      if (fault.account !== undefined && fault.account !== account) continue;
      fault.seen++;
      if (!struck && fault.seen >= fault.nth && fault.struck < fault.times) {
        fault.struck++;
        struck = fault.fault;
      }
    }
    return struck;
  }

  /** Faults armed that have not struck as often as asked (a test can assert it is empty). */
  get pending(): FaultSpec[] {
    return this.armed.filter((fault) => fault.struck < fault.times);
  }
}
