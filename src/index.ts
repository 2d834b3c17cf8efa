/**
 * ccpulse as a library: the same snapshot the commands render, for scripts and other tools.
 *
 *   import { takeSnapshot, snapshotJson } from "ccpulse";
 *   const snapshot = await takeSnapshot(process.env, { tokens: true });
 */
export type { Session, StateCounts } from "./derive/sessions.ts";
export type { State } from "./derive/state.ts";
export type { Tokens } from "./derive/tokens.ts";
export { messageCost, resolveModel } from "./derive/pricing.ts";
export { snapshotJson } from "./render/json.ts";
export { type Snapshot, type SnapshotOptions, takeSnapshot } from "./snapshot.ts";
