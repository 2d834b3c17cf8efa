import { configDirs } from "./discover/configDirs.ts";
import { type ProbeFile, probeFiles } from "./discover/probeFiles.ts";
import { type Session, type StateCounts, countStates, sortSessions, totalTokens, uniqueSessions } from "./derive/sessions.ts";
import { sessionState } from "./derive/state.ts";
import { type Tokens, zeroTokens } from "./derive/tokens.ts";
import { type Env, cacheDir } from "./env.ts";
import { judgeLiveness, ownPidDomain, processInfo } from "./read/liveness.ts";
import { type Probe, readProbe } from "./read/probe.ts";
import { readSessionTokens } from "./read/sessionTokens.ts";

export interface Snapshot {
  readonly generatedAt: number;
  readonly sessions: readonly Session[];
  readonly counts: StateCounts;
  readonly totals: Tokens;
}

export interface SnapshotOptions {
  /** Read transcripts for token totals; compact and prompt without token fields skip it. */
  readonly tokens: boolean;
  readonly now?: number;
}

type Found = { readonly file: ProbeFile; readonly probe: Probe; readonly liveness: "live" | "foreign" };

/** The pipeline: discover probe files → read and check them → derive states → read tokens of the survivors. */
export async function takeSnapshot(env: Env, options: SnapshotOptions): Promise<Snapshot> {
  const generatedAt = options.now ?? Date.now();
  const dirs = await configDirs(env);
  const [domain, files] = await Promise.all([ownPidDomain(), Promise.resolve(dirs.flatMap(probeFiles))]);
  const found = (await Promise.all(files.map((file) => inspect(file, domain)))).filter((f) => f !== undefined);

  const candidates = found.map(({ file, probe, liveness }) => ({
    ...sessionState(probe),
    pid: file.pid,
    sessionId: probe.sessionId,
    name: probe.name,
    cwd: probe.cwd,
    liveness,
    tmux: probe.tmux,
    version: probe.version,
    kind: probe.kind,
    entrypoint: probe.entrypoint,
    startedAt: probe.startedAt,
    updatedAt: probe.updatedAt,
    configDir: file.configDir,
  }));
  const cache = cacheDir(env);
  const sessions: Session[] = [];
  // One session at a time: each cold read holds an 8 MiB buffer, and reading them side by side only
  // multiplies peak memory (the reads are single-threaded JS either way).
  for (const s of uniqueSessions(candidates)) {
    if (!options.tokens || s.sessionId === undefined) {
      sessions.push({ ...s, tokens: zeroTokens() });
      continue;
    }
    const read = await readSessionTokens({ configDir: s.configDir, sessionId: s.sessionId, cwd: s.cwd, updatedAt: s.updatedAt }, cache);
    sessions.push({ ...s, ...read });
  }
  const sorted = sortSessions(sessions);
  return { generatedAt, sessions: sorted, counts: countStates(sorted), totals: totalTokens(sorted) };
}

async function inspect(file: ProbeFile, domain: string): Promise<Found | undefined> {
  const info = await processInfo(file.pid);
  const read = await readProbe(file.path, () => info !== undefined);
  if (!read.ok) return undefined;
  const liveness = judgeLiveness(read.probe, domain, info);
  return liveness === "dead" ? undefined : { file, probe: read.probe, liveness };
}
