import * as v from "valibot";

/**
 * A schema built on its first use. Built at load, every full call paid for all of them: module code
 * runs once, in the interpreter, ~1.6 µs a schema object, and importing the modules that hold them
 * took ~1.8 ms in a compiled binary. A status call uses two, a probe's and a cache file's head; the
 * rest serve other commands, types and tests. Built lazily, `ccpulse --version` (which loads the whole
 * pipeline) went from 9.5 to 8.7 ms and from 35.7 to 32.3 MB peak RSS.
 */
export function lazySchema<T extends v.GenericSchema>(build: () => T): v.LazySchema<T> {
  let schema: T | undefined;
  return v.lazy(() => (schema ??= build()));
}

/** A token count, a size or an offset: a safe integer ≥ 0. */
export const count = () => v.pipe(v.number(), v.safeInteger(), v.minValue(0));
