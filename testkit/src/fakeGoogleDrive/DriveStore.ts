// The fake Drive's state: files and resumable upload sessions, per account
// (one account per access token owner), all in memory.
import { createHash, randomBytes } from "node:crypto";

export interface FakeDriveFile {
  id: string;
  account: string;
  name: string;
  mimeType: string;
  parents: string[];
  appProperties: Record<string, string>;
  trashed: boolean;
  content: Buffer;
  md5Checksum: string;
  createdTime: string;
}

export interface UploadSession {
  id: string;
  account: string;
  metadata: Partial<Pick<FakeDriveFile, "name" | "mimeType" | "parents" | "appProperties">>;
  /** Bytes Drive has persisted, in order. */
  received: Buffer[];
  receivedBytes: number;
  /** Known once a chunk or status query named it. */
  total?: number;
  expired: boolean;
  /** The file made when the last byte arrived. */
  fileId?: string;
}

export const folderMimeType = "application/vnd.google-apps.folder";

export class DriveStore {
  readonly files = new Map<string, FakeDriveFile>();
  readonly sessions = new Map<string, UploadSession>();
  /** Ids handed out by generateIds, which a create may use. */
  readonly generatedIds = new Set<string>();

  newId(): string {
    return randomBytes(12).toString("base64url");
  }

  generateId(): string {
    const id = this.newId();
    this.generatedIds.add(id);
    return id;
  }

  createFile(account: string, metadata: UploadSession["metadata"], content: Buffer, id = this.newId()): FakeDriveFile {
    const file: FakeDriveFile = {
      id,
      account,
      name: metadata.name ?? "Untitled",
      mimeType: metadata.mimeType ?? "application/octet-stream",
      parents: metadata.parents ?? ["root"],
      appProperties: { ...metadata.appProperties },
      trashed: false,
      content,
      md5Checksum: createHash("md5").update(content).digest("hex"),
      createdTime: new Date().toISOString(),
    };
    this.files.set(file.id, file);
    return file;
  }

  /** A parent named that the account has not (Drive answers 404 for it), if any; "root" is the top of the Drive. */
  missingParent(account: string, parents: string[] | undefined): string | undefined {
    return parents?.find((parent) => parent !== "root" && !this.fileOf(account, parent));
  }

  /** Deletes a file, and with a folder everything in it, as Drive deletes what the owner deletes. */
  deleteWithDescendants(id: string): void {
    this.files.delete(id);
    for (const file of [...this.files.values()]) {
      if (file.parents.includes(id)) this.deleteWithDescendants(file.id);
    }
  }

  /** The account's file, or undefined (another account's file is not there for it). */
  fileOf(account: string, id: string): FakeDriveFile | undefined {
    const file = this.files.get(id);
    return file && file.account === account ? file : undefined;
  }

  filesOf(account: string): FakeDriveFile[] {
    return [...this.files.values()].filter((file) => file.account === account);
  }

  startSession(account: string, metadata: UploadSession["metadata"], total?: number): UploadSession {
    const session: UploadSession = {
      id: this.newId(),
      account,
      metadata,
      received: [],
      receivedBytes: 0,
      total,
      expired: false,
    };
    this.sessions.set(session.id, session);
    return session;
  }

  /** Makes the file once every byte is there. */
  completeSession(session: UploadSession): FakeDriveFile {
    const file = this.createFile(session.account, session.metadata, Buffer.concat(session.received));
    session.fileId = file.id;
    session.received = [];
    return file;
  }

  /** A resource as Drive answers it (size as a string, as Drive sends it). */
  resource(file: FakeDriveFile, md5Override?: string) {
    const isFolder = file.mimeType === folderMimeType;
    return {
      kind: "drive#file",
      id: file.id,
      name: file.name,
      mimeType: file.mimeType,
      parents: file.parents,
      appProperties: file.appProperties,
      trashed: file.trashed,
      createdTime: file.createdTime,
      ...(isFolder ? {} : { size: String(file.content.length), md5Checksum: md5Override ?? file.md5Checksum }),
    };
  }
}
