/** Narrowing helpers for JSON values read from clients and upstreams. */

/** A parsed JSON object. */
export type JsonObject = Record<string, unknown>;

/** True for a plain JSON object (not null, not an array). */
export function isRecord(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The value stored under `key` itself, never one inherited from `Object.prototype` (`constructor`...). */
export function ownValue<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/**
 * Stores `value` as `record`'s own entry `key`, whatever the key. Assigning to `__proto__` runs
 * `Object.prototype`'s setter: in the language it replaces the object's prototype (the value lost,
 * its members read through every key the object lacks), and Deno's own setter, which stores a key
 * instead, is gone under `--unsafe-proto`. A name a model or a client wrote is a key either way.
 */
export function setOwn<T>(record: Record<string, T>, key: string, value: NoInfer<T>): void {
  if (key === "__proto__") {
    Object.defineProperty(record, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else record[key] = value;
}
