// Cloud file names: what a name may be, the form it is stored in, and when
// two names are the same name. The server applies these rules to every
// upload and the client SDK to every upload it queues, so a name the client
// accepts is one the server accepts, and the client's record of a file holds
// the name exactly as the server stores it (docs/protocol.md, "File names").
//
// - A name is stored in Unicode NFC: "café" typed on macOS (NFD) and on
//   Windows (NFC) is one name, stored once.
// - Two names are the same name when their keys are equal: NFC, then simple
//   case folding (the way Syncthing compares names, and as Dropbox does,
//   case-insensitively): "Report.txt" and "report.txt" cannot both be live,
//   since they cannot both exist on the case-insensitive file systems of
//   macOS and Windows.

export const maxCloudFileNameBytes = 255;

// C0 controls (NUL included), DEL and C1 controls (U+0080-U+009F: \p{Cc}),
// and the path separators of every platform.
const forbiddenCharacter = /[\p{Cc}/\\]/u;
// Half of a UTF-16 surrogate pair on its own: not a Unicode character, and
// not encodable as UTF-8.
const loneSurrogate = /\p{Cs}/u;

const utf8 = new TextEncoder();

export type CloudFileNameCheck = { ok: true; name: string } | { ok: false; problem: string };

/** The name as it is stored (NFC), or why it cannot be a cloud file name. */
export function checkCloudFileName(name: string): CloudFileNameCheck {
  if (name.length === 0) return { ok: false, problem: "is empty" };
  if (loneSurrogate.test(name))
    return { ok: false, problem: "is not valid Unicode (it holds half of a surrogate pair)" };
  const stored = name.normalize("NFC");
  const problem =
    utf8.encode(stored).length > maxCloudFileNameBytes
      ? `is longer than ${maxCloudFileNameBytes} bytes of UTF-8`
      : forbiddenCharacter.test(stored)
        ? "contains a path separator or a control character (U+0000-U+001F, U+007F-U+009F)"
        : stored === "." || stored === ".."
          ? "is a relative path"
          : stored !== stored.trim()
            ? "starts or ends with white space"
            : null;
  return problem ? { ok: false, problem } : { ok: true, name: stored };
}

/**
 * One character folded to its simple case: the lowercase of its uppercase,
 * where each is a single character ("ẞ" and "ß" fold alike; "ß", whose
 * uppercase is "SS", stays itself, as on NTFS and APFS).
 */
function foldCharacter(character: string): string {
  const upper = character.toUpperCase();
  const simpleUpper = [...upper].length === 1 ? upper : character;
  const lower = simpleUpper.toLowerCase();
  return [...lower].length === 1 ? lower : simpleUpper;
}

// Printable ASCII is already in NFC, and folds to its lowercase.
const printableAscii = /^[\x20-\x7e]*$/;

/** The key two names are compared by: equal keys, the same name. */
export function cloudFileNameKey(name: string): string {
  if (printableAscii.test(name)) return name.toLowerCase();
  let key = "";
  for (const character of name.normalize("NFC")) key += foldCharacter(character);
  return key.normalize("NFC");
}

export interface NamedFile {
  fileUUID: string;
  cloudFileName: string;
}

/**
 * The other live file that already has `name` (by key), if any: an upload of
 * `fileUUID` under `name` must then be refused (CLOUD_NAME_TAKEN).
 * `currentName` is the file's own live name, if it has one: a file keeps the
 * exact name it already has, even if another file shares its key (twins
 * made before names were compared by key stay usable; no new twin is made).
 */
export function cloudFileNameOwner<F extends NamedFile>(
  fileUUID: string,
  name: string,
  currentName: string | undefined,
  liveFiles: Iterable<F>,
): F | undefined {
  if (currentName !== undefined && currentName === name) return undefined;
  return new CloudFileNameIndex(liveFiles).owner(fileUUID, name, currentName);
}

/**
 * Live files by the key of their name, for many cloudFileNameOwner questions
 * against one set of files (a group of uploads checked at once): each answer
 * costs one key, not one per live file.
 */
export class CloudFileNameIndex<F extends NamedFile> {
  private readonly byKey = new Map<string, F[]>();

  constructor(liveFiles: Iterable<F> = []) {
    for (const file of liveFiles) this.add(file);
  }

  add(file: F): void {
    const key = cloudFileNameKey(file.cloudFileName);
    const files = this.byKey.get(key);
    if (files) files.push(file);
    else this.byKey.set(key, [file]);
  }

  /** cloudFileNameOwner over the files added so far, in the order they were added. */
  owner(fileUUID: string, name: string, currentName: string | undefined): F | undefined {
    if (currentName !== undefined && currentName === name) return undefined;
    return this.byKey.get(cloudFileNameKey(name))?.find((file) => file.fileUUID !== fileUUID);
  }
}
