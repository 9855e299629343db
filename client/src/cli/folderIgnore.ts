// Which paths of a synced folder are not synced: the CLI's own files, always,
// then default rules for editors' and systems' litter, then the folder's
// `.smsyncignore` (gitignore syntax, through the `ignore` package), whose
// `!pattern` lines can take a default back.
//
// `.smsyncignore` is itself never synced: it is this device's choice of what
// not to sync. Were it synced, a rule added on one device would reach the
// others, where the files it names would stop being synced, or, read as
// deletions, disappear from devices whose owner never asked for it.
import { readFileSync } from "node:fs";
import path from "node:path";
import ignore, { type Ignore } from "ignore";

export const ignoreFileName = ".smsyncignore";

/** The folder where the CLI keeps its own state; never synced. */
export const stateFolderName = ".smsync";

/**
 * Editors' swap, backup, lock and temporary files, browsers' unfinished
 * downloads, and what macOS and Windows leave in folders: never content a
 * person means to sync, and rewritten so often that syncing them would be
 * noise on every device.
 */
export const defaultIgnoreRules = [
  // vim: swap files, and the file it writes to probe a folder's permissions.
  "*.swp",
  "*.swo",
  "*.swx",
  ".*.sw?",
  "4913",
  // Backups (vim, emacs, nano, and temporary names of atomic saves), emacs' locks and auto-saves.
  "*~",
  ".#*",
  String.raw`\#*#`,
  // LibreOffice's and Microsoft Office's locks.
  ".~lock.*#",
  "~$*",
  // Kate, gedit and JetBrains IDEs' temporary files.
  "*.kate-swp",
  ".goutputstream-*",
  "*___jb_tmp___",
  "*___jb_old___",
  // Browsers' unfinished downloads.
  "*.crdownload",
  "*.part",
  // macOS, Windows, Linux desktops.
  ".DS_Store",
  "._*",
  ".Spotlight-V100/",
  ".Trashes/",
  ".fseventsd/",
  ".Trash-*/",
  "Thumbs.db",
  "desktop.ini",
  "$RECYCLE.BIN/",
];

/**
 * The CLI's own files, excluded whatever the rules say: its state folder at
 * the root, its partial downloads and temporary copies, and the ignore file.
 */
function alwaysExcluded(relativePath: string): boolean {
  if (relativePath === stateFolderName || relativePath.startsWith(`${stateFolderName}/`)) return true;
  if (relativePath === ignoreFileName) return true;
  const name = path.posix.basename(relativePath);
  return name.endsWith(".partial") || name.endsWith(".smsync-tmp");
}

function rulesOf(fileText: string): Ignore {
  // allowRelativePaths: a file named "..." is a name, which `ignore` would otherwise refuse as a path going up.
  return ignore({ allowRelativePaths: true }).add(defaultIgnoreRules).add(fileText);
}

export class FolderIgnore {
  private rules: Ignore;

  private constructor(
    readonly root: string,
    rules: Ignore,
  ) {
    this.rules = rules;
  }

  /** The rules of the folder at `root`: the defaults, then its `.smsyncignore` if it has one. */
  static load(root: string): FolderIgnore {
    return new FolderIgnore(root, FolderIgnore.read(root));
  }

  /** Rules from text, for a folder that has no file (tests, or a caller's own rules). */
  static fromText(root: string, text: string): FolderIgnore {
    return new FolderIgnore(root, rulesOf(text));
  }

  /**
   * Reads `.smsyncignore` again (after an edit): everything that holds this
   * object sees the new rules. An unreadable file throws and the rules stay
   * as they were.
   */
  reload(): void {
    this.rules = FolderIgnore.read(this.root);
  }

  /**
   * Whether a path (relative to the root, with "/") is left out of the sync.
   * A path inside an ignored folder is ignored too. Matching ignores case:
   * paths of a synced folder never differ only in case (they are compared
   * case folded, as cloud file names are).
   */
  ignores(relativePath: string, isDirectory: boolean): boolean {
    if (alwaysExcluded(relativePath)) return true;
    return this.rules.ignores(isDirectory ? `${relativePath}/` : relativePath);
  }

  private static read(root: string): Ignore {
    try {
      return rulesOf(readFileSync(path.join(root, ignoreFileName), "utf8"));
    } catch (error) {
      // No file: the defaults alone. An unreadable one is not taken for none, or what it excludes would be synced.
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      return rulesOf("");
    }
  }
}
