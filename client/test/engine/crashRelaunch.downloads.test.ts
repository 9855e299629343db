// The app killed at each persistence point of a download pass (crashRelaunch.ts).
import { describe } from "vitest";
import { downloadingCases, stagedCopiesExpiredCases, serverPerFile } from "./crashRelaunch.ts";

serverPerFile();
describe("killed while downloading (two new versions and a deletion), then relaunched", () => downloadingCases());
describe("killed while downloading, the app saving small files in groups (saveDownloads), then relaunched", () =>
  downloadingCases({ saveDownloads: true }));
describe(
  "killed after the inbound transfer started, relaunched after its staged copies expired",
  stagedCopiesExpiredCases,
);
