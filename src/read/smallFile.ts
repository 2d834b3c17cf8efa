/**
 * Files read whole at the start of a call (probes, config.json, /proc entries, and the cache files in
 * read/framedFile.ts): synchronously, with node:fs, which a call that gets past its stored answer loads
 * anyway (discover/probeFiles.ts).
 * Each Bun.file() read or stat was a round trip through Bun's I/O threads: with them replaced, a
 * `compact --tmux` whose answer had to be made again took 40.0 against 42.3 ms, 43.3 against 47.6 ms
 * of CPU, on the medium bench home (interleaved, 20 rounds).
 */

/**
 * The text of the regular file at `path`, at most `limit` bytes of it. Read one byte past the limit
 * even when the size said less: the file can grow between the two.
 */
export async function readSmallFile(path: string, limit: number): Promise<{ readonly text: string } | "missing" | "not-a-file" | "too-large"> {
  const bytes = readRegularFile(await import("node:fs"), path, (size) => (size > limit ? undefined : bufferFor(limit + 1)));
  if (bytes === undefined) return "too-large";
  if (typeof bytes === "string") return bytes;
  if (bytes.length > limit) return "too-large";
  // A UTF-8 byte-order mark is not part of the text, as Bun.file().text() and TextDecoder read it.
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  return { text: bytes.toString("utf8", bom ? 3 : 0) };
}

// One buffer for every small file a call reads, each decoded before the next is read (nothing is awaited
// in between). A buffer of the limit for each file (256 KB for a probe, 1 MiB for config.json) was an
// mmap and an munmap every time: ~0.4 ms of a call after an append to the medium bench home.
const bufferFor = reusedBuffer();

/**
 * One buffer handed out again and again, grown (never shrunk) to the largest size asked for: each
 * view it gives is good until the next is asked for. allocUnsafe leaves its pages untouched, so only
 * the pages a use fills are faulted in, once.
 */
export function reusedBuffer(): (size: number) => Buffer {
  let buffer = Buffer.alloc(0);
  return (size) => {
    if (buffer.length < size) buffer = Buffer.allocUnsafe(Math.max(size, 2 * buffer.length, 256 << 10));
    return buffer.subarray(0, size);
  };
}

/**
 * The bytes of the regular file at `path`, read synchronously into the buffer `into` gives for its size
 * (as many as are there, up to the buffer's length); undefined when `into` gives none. O_NONBLOCK: a
 * FIFO put at the path would otherwise block the open for good.
 */
export function readRegularFile(fs: typeof import("node:fs"), path: string, into: (size: number) => Buffer | undefined): Buffer | "missing" | "not-a-file" | undefined {
  let fd: number;
  try {
    fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch {
    return "missing";
  }
  try {
    return readOpenFile(fs, fd, into);
  } finally {
    fs.closeSync(fd);
  }
}

/** readRegularFile's read, from a file open already (read/framedFile.ts keeps the slot files open). */
export function readOpenFile(fs: typeof import("node:fs"), fd: number, into: (size: number) => Buffer | undefined): Buffer | "missing" | "not-a-file" | undefined {
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) return "not-a-file";
    const buf = into(stat.size);
    if (buf === undefined) return undefined;
    let length = 0;
    while (length < buf.length) {
      const wanted = buf.length - length;
      const n = fs.readSync(fd, buf, length, wanted, length);
      if (n <= 0) break;
      length += n;
      // A regular file reads short only at its end: no read more to see it (a probe, 22 reads a call on
      // the large bench home). A /proc file says size 0 and may come in pieces: read until nothing.
      if (n < wanted && stat.size > 0) break;
    }
    return buf.subarray(0, length);
  } catch {
    return "missing";
  }
}
