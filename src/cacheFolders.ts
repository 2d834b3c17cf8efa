/**
 * The folders ccpulse keeps under its cache dir, each named `<kind>-v<version>`: a kind's version is
 * bumped whenever what its folder holds changes format, so a binary never reads another version's
 * files, and the folders of other versions are swept once nothing has written to them for a week
 * (read/tokenCache.ts). One table, so that the sweep knows every kind's current version. It holds
 * nothing else: the warm path (replay.ts) imports it too.
 */
export const FOLDER_VERSIONS = {
  // The session caches (read/tokenCache.ts): an older file is rebuilt from byte 0.
  sessions: 13,
  // The usage ledger (read/usageLedger.ts).
  usage: 2,
  // The stored answers (replay/).
  replay: 2,
} as const;
