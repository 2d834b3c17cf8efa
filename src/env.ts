/** The environment a call runs in; passed explicitly so tests build their own homes. */
export interface Env {
  readonly [name: string]: string | undefined;
  readonly HOME?: string;
  readonly CLAUDE_CONFIG_DIR?: string;
  readonly XDG_CACHE_HOME?: string;
  readonly NO_COLOR?: string;
  readonly FORCE_COLOR?: string;
}

export function homeDir(env: Env): string {
  return env.HOME && env.HOME.length > 0 ? env.HOME : "/";
}

/** `${XDG_CACHE_HOME:-~/.cache}/ccpulse`; a relative XDG_CACHE_HOME is ignored, as the XDG spec says. */
export function cacheDir(env: Env): string {
  const xdg = env.XDG_CACHE_HOME;
  const base = xdg && xdg.startsWith("/") ? xdg : `${homeDir(env)}/.cache`;
  return `${base}/ccpulse`;
}
