// The app killed while uploading with a lease renewal in flight (crashRelaunch.ts).
import { describe } from "vitest";
import { renewalInFlightCases, serverPerFile } from "./crashRelaunch.ts";

serverPerFile();
describe("killed while uploading with a lease renewal in flight, then relaunched", renewalInFlightCases);
