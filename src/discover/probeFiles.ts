/** A probe file `<configDir>/sessions/<pid>.json`, found by name only. */
export interface ProbeFile {
  readonly configDir: string;
  readonly pid: number;
  readonly path: string;
}

// Claude Code itself keeps only /^\d+\.json$/ (format doc §1.6); `.key` files, `.fleetview-heartbeat`
// and temp files are someone else's.
const PROBE_NAME = /^(\d{1,10})\.json$/;

export async function probeFiles(configDir: string): Promise<ProbeFile[]> {
  // node:fs, not Bun.Glob: a call that gets here (its stored answer did not hold) loads node:fs anyway, to
  // store its new answer or to read tokens, while Bun.Glob's first scan cost ~1.7 ms in a compiled
  // binary (0.3 ms for readdirSync of 18 entries).
  const fs = await import("node:fs");
  const dir = `${configDir}/sessions`;
  const found: ProbeFile[] = [];
  try {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const match = PROBE_NAME.exec(entry.name);
      if (!match || !entry.isFile()) continue;
      const pid = Number(match[1]);
      if (pid > 0 && String(pid) === match[1]) found.push({ configDir, pid, path: `${dir}/${entry.name}` });
    }
  } catch {
    return [];
  }
  return found.sort((a, b) => a.pid - b.pid);
}
