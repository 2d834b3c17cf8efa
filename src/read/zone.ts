import { type Zone, UTC, intlZone } from "../derive/timeZone.ts";
import { posixZone, tzifZone } from "../derive/zoneRules.ts";
import type { Env } from "../env.ts";

// Zone names become paths below the zoneinfo dir: segments of these characters only, so never "..".
const ZONE_NAME = /^[A-Za-z0-9_+-]{1,30}(\/[A-Za-z0-9_+-]{1,30}){0,3}$/;
const MAX_TZIF_BYTES = 1 << 20;

export interface LoadedZone {
  readonly zone: Zone;
  /** Set when the zone asked for could not be found and UTC stands in. */
  readonly problem?: string;
}

async function tzifAt(name: string, path: string): Promise<Zone | undefined> {
  try {
    return tzifZone(name, await Bun.file(path).slice(0, MAX_TZIF_BYTES).bytes());
  } catch {
    return undefined;
  }
}

/**
 * The zone `name` names, or without one the local zone (TZ, else /etc/localtime), from the zoneinfo
 * files; Intl only when they are missing (a minimal container), since it costs ~9 ms to start.
 */
export async function loadZone(name: string | undefined, env: Env): Promise<LoadedZone> {
  const dir = env.TZDIR?.startsWith("/") ? env.TZDIR : "/usr/share/zoneinfo";
  const named = async (zoneName: string): Promise<Zone | undefined> =>
    (ZONE_NAME.test(zoneName) ? await tzifAt(zoneName, `${dir}/${zoneName}`) : undefined) ?? (zoneName === "UTC" ? UTC : undefined) ?? intlZone(zoneName);
  if (name !== undefined) {
    const zone = await named(name);
    return zone ? { zone } : { zone: UTC, problem: `unknown time zone '${name}'; using UTC` };
  }
  const tz = env.TZ;
  if (tz !== undefined && tz !== "") {
    const bare = tz.startsWith(":") ? tz.slice(1) : tz;
    const zone = bare.startsWith("/") ? await tzifAt(bare, bare) : ((await named(bare)) ?? posixZone(bare, bare));
    return zone ? { zone } : { zone: UTC, problem: `TZ='${tz}' is not a zone this system knows; using UTC` };
  }
  // Debian and Ubuntu name the local zone in /etc/timezone; /etc/localtime is its compiled copy.
  const localName = (await Bun.file("/etc/timezone").text().catch(() => "")).trim();
  const zone = await tzifAt(ZONE_NAME.test(localName) ? localName : "localtime", "/etc/localtime");
  return { zone: zone ?? UTC };
}
