/**
 * ccpulse as a library: the same snapshot the commands render, for scripts and other tools.
 *
 *   import { takeSnapshot, takeUsage, snapshotJson } from "ccpulse";
 *   const snapshot = await takeSnapshot(process.env, { tokens: true });
 *   const { report } = await takeUsage(process.env, snapshot, { billingDay: 1, monthlyWindows: 50 }, {});
 *   console.log(snapshotJson(snapshot, report));
 */
export type { Session, StateCounts } from "./derive/sessions.ts";
export type { State } from "./derive/state.ts";
export type { Tokens } from "./derive/tokens.ts";
export { messageCost, resolveModel } from "./derive/pricing.ts";
export { snapshotJson } from "./render/json.ts";
export type { UsageReport } from "./derive/usageReport.ts";
export { type Snapshot, type SnapshotOptions, takeSnapshot, takeUsage } from "./snapshot.ts";
