// The app killed at each persistence point of an upload batch (crashRelaunch.ts).
import { describe } from "vitest";
import { uploadingCases, serverPerFile } from "./crashRelaunch.ts";

serverPerFile();
describe("killed while uploading a batch (two uploads and a deletion), then relaunched", uploadingCases);
