/**
 * Small files read whole at the start of a call (probes, config.json, /proc entries): synchronously,
 * with node:fs, which a call that gets past its stored answer loads anyway (discover/probeFiles.ts).
 * Each Bun.file() read or stat was a round trip through Bun's I/O threads: with them replaced, a
 * `compact --tmux` whose answer had to be made again took 40.0 against 42.3 ms, 43.3 against 47.6 ms
 * of CPU, on the medium bench home (interleaved, 20 rounds).
 */

/**
 * The text of the regular file at `path`, at most `limit` bytes of it. O_NONBLOCK: a FIFO put at the
 * path would otherwise block the open for good. Read one byte past the limit even when the size said
 * less: the file can grow between the two.
 */
export async function readSmallFile(path: string, limit: number): Promise<{ readonly text: string } | "missing" | "not-a-file" | "too-large"> {
  const fs = await import("node:fs");
  let fd: number;
  try {
    fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch {
    return "missing";
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) return "not-a-file";
    if (stat.size > limit) return "too-large";
    // Only the pages a read fills are faulted in.
    const buf = Buffer.allocUnsafe(limit + 1);
    let length = 0;
    while (length <= limit) {
      const n = fs.readSync(fd, buf, length, limit + 1 - length, length);
      if (n <= 0) break;
      length += n;
    }
    return length > limit ? "too-large" : { text: buf.toString("utf8", 0, length) };
  } catch {
    return "missing";
  } finally {
    fs.closeSync(fd);
  }
}
