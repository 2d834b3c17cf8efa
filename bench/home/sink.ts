import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import { dirname } from "node:path";

// Rows are collected and written in blocks this big: one write per row would cost more than the rows.
const FLUSH_BYTES = 8 << 20;

/** Where rows go: a file, or memory when a row must be split (a torn last line). */
export interface Sink {
  put(part: string | Buffer): void;
  /** Bytes put so far. */
  readonly written: number;
}

export class FileSink implements Sink {
  private parts: Buffer[] = [];
  private pending = 0;
  written = 0;

  private constructor(private readonly fd: number) {}

  static open(path: string, mode: "create" | "append"): FileSink {
    mkdirSync(dirname(path), { recursive: true });
    return new FileSink(openSync(path, mode === "create" ? "w" : "a"));
  }

  put(part: string | Buffer): void {
    const buf = typeof part === "string" ? Buffer.from(part) : part;
    this.parts.push(buf);
    this.pending += buf.length;
    this.written += buf.length;
    if (this.pending >= FLUSH_BYTES) this.flush();
  }

  flush(): void {
    if (this.pending === 0) return;
    const buf = this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts, this.pending);
    for (let at = 0; at < buf.length; ) at += writeSync(this.fd, buf, at, buf.length - at);
    this.parts = [];
    this.pending = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

export class MemorySink implements Sink {
  private parts: Buffer[] = [];
  written = 0;

  put(part: string | Buffer): void {
    const buf = typeof part === "string" ? Buffer.from(part) : part;
    this.parts.push(buf);
    this.written += buf.length;
  }

  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}
