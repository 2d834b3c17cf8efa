import { type Env, homeDir } from "../env.ts";

/**
 * The Claude config dirs to watch. CLAUDE_CONFIG_DIR is a comma-separated list (as ccusage reads it);
 * without it, `~/.claude` and `~/.config/claude`, each only when it exists.
 */
export async function configDirs(env: Env): Promise<string[]> {
  const listed = env.CLAUDE_CONFIG_DIR;
  if (listed !== undefined && listed.trim() !== "") {
    const dirs = listed.split(",").map((d) => d.trim()).filter((d) => d !== "");
    return [...new Set(dirs.map(stripTrailingSlash))];
  }
  const candidates = configDirInputs(env);
  const present = await Promise.all(candidates.map(isDirectory));
  return candidates.filter((_, i) => present[i]);
}

/** The paths whose existence decides configDirs(env): none when CLAUDE_CONFIG_DIR lists the dirs. */
export function configDirInputs(env: Env): string[] {
  if (env.CLAUDE_CONFIG_DIR !== undefined && env.CLAUDE_CONFIG_DIR.trim() !== "") return [];
  const home = homeDir(env);
  return [`${home}/.claude`, `${home}/.config/claude`];
}

function stripTrailingSlash(dir: string): string {
  return dir.length > 1 ? dir.replace(/\/+$/, "") : dir;
}

export async function isDirectory(path: string): Promise<boolean> {
  const fs = await import("node:fs");
  try {
    return fs.statSync(path).isDirectory();
  } catch {
    return false;
  }
}
