#!/usr/bin/env node
// The smsync command line client. The SDK ships as TypeScript source; tsx
// loads it.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../src/cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
