/** A probe file `<configDir>/sessions/<pid>.json`, found by name only. */
export interface ProbeFile {
  readonly configDir: string;
  readonly pid: number;
  readonly path: string;
}

// Claude Code itself keeps only /^\d+\.json$/ (format doc §1.6); `.key` files, `.fleetview-heartbeat`
// and temp files are someone else's.
const PROBE_NAME = /^(\d{1,10})\.json$/;

export function probeFiles(configDir: string): ProbeFile[] {
  const dir = `${configDir}/sessions`;
  const found: ProbeFile[] = [];
  let names: Iterable<string>;
  try {
    // Bun.Glob instead of node:fs readdirSync: importing node:fs costs ~3 ms per call in a compiled binary.
    names = new Bun.Glob("*.json").scanSync({ cwd: dir, onlyFiles: true, dot: false, followSymlinks: false });
    for (const name of names) {
      const match = PROBE_NAME.exec(name);
      if (!match) continue;
      const pid = Number(match[1]);
      if (pid > 0 && String(pid) === match[1]) found.push({ configDir, pid, path: `${dir}/${name}` });
    }
  } catch {
    return [];
  }
  return found.sort((a, b) => a.pid - b.pid);
}
