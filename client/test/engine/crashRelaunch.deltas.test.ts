// The app killed at the persistence points around a change of a large file
// sent as a delta (crashRelaunch.ts): the relaunch finishes it, again as a delta.
import { describe } from "vitest";
import { deltaUploadCases, serverPerFile } from "./crashRelaunch.ts";

serverPerFile();
describe("killed while uploading a change as a delta, then relaunched", deltaUploadCases);
