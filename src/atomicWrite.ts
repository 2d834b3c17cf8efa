/**
 * Replaces a file atomically: a temp file in the same dir, then rename. Concurrent writers each rename
 * a complete file, so a reader sees one whole version or another, never a mix. Missing dirs are made
 * 0700, the file is 0600. Throws on failure (full disk, read-only dir, a directory in the way) after
 * removing its temp file.
 */
export async function writeFileAtomic(path: string, data: string): Promise<void> {
  // node:fs only on write paths: importing it costs ~2–3 ms, which a warm status call must not pay.
  const fs = await import("node:fs");
  const dir = path.slice(0, path.lastIndexOf("/"));
  const temp = `${dir}/.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(temp, data, { mode: 0o600 });
    fs.renameSync(temp, path);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
}
