// The app killed while uploading with a lease renewal in flight (crashRelaunch.ts).
import { describe } from "vitest";
import { renewalInFlightCases } from "./crashRelaunch.ts";

describe("killed while uploading with a lease renewal in flight, then relaunched", renewalInFlightCases);
