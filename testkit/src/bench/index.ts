// Bench helpers shared by api/bench and client/bench: progress and clean-up
// (support.ts), and the report's tables and units (report.ts).
export * from "./support.ts";
export * from "./report.ts";
