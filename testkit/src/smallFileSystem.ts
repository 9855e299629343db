// A small real file system for tests of a full disk: a tmpfs of a given size
// mounted on a temporary directory (needs root, or CAP_SYS_ADMIN). A test
// fills it up to what it leaves free, and frees it again ("space returns").
// Where mounting is not permitted, `smallFileSystemSupport` says why and the
// tests that need it are skipped with that reason in their name.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { rm, statfs, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

export interface SmallFileSystem {
  dir: string;
  /** Fills the file system with a filler file, leaving about `leaveBytes` free. */
  fill(leaveBytes: number): Promise<void>;
  /** Removes the filler: the space returns. */
  free(): Promise<void>;
  unmount(): void;
}

function mount(sizeBytes: number): string {
  const dir = mkdtempSync(path.join(tmpdir(), "smsync-small-fs-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${sizeBytes}`, "tmpfs", dir], { stdio: "pipe" });
    return dir;
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

function unmount(dir: string): void {
  execFileSync("umount", [dir], { stdio: "pipe" });
  rmSync(dir, { recursive: true, force: true });
}

/** Whether this machine lets the tests mount a tmpfs, and if not, why. */
export const smallFileSystemSupport: { ok: true } | { ok: false; reason: string } = (() => {
  try {
    unmount(mount(64 * 1024));
    return { ok: true };
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    return {
      ok: false,
      reason: `mounting a tmpfs is not permitted here (${stderr || (error as Error).message}); run as root`,
    };
  }
})();

/** The name of a suite that needs a small file system, with the reason when it is skipped. */
export function smallFileSystemSuite(name: string): string {
  return smallFileSystemSupport.ok ? name : `${name} (skipped: ${smallFileSystemSupport.reason})`;
}

export function mountSmallFileSystem(sizeBytes: number): SmallFileSystem {
  const dir = mount(sizeBytes);
  const filler = path.join(dir, ".filler");
  return {
    dir,
    async fill(leaveBytes) {
      await rm(filler, { force: true });
      const { bavail, bsize } = await statfs(dir);
      await writeFile(filler, Buffer.alloc(Math.max(0, bavail * bsize - leaveBytes)));
    },
    async free() {
      await rm(filler, { force: true });
    },
    unmount() {
      unmount(dir);
    },
  };
}
