import * as v from "valibot";

/**
 * A schema built on its first use. Built at load, the schemas cost ~1.8 ms of every full call (module
 * code runs once, in the interpreter: ~1.6 µs a schema object, measured in a compiled binary), and a
 * status call uses two of them, a probe's and a cache file's head; the rest serve other commands,
 * types and tests.
 */
export function lazySchema<T extends v.GenericSchema>(build: () => T): v.LazySchema<T> {
  let schema: T | undefined;
  return v.lazy(() => (schema ??= build()));
}
