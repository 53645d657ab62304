/** The language's own `__proto__` setter, for tests of keys named so. */

/**
 * Runs `fn` with the language's own `__proto__` setter, which replaces an object's prototype (as
 * under `--unsafe-proto`, or in any other runtime): Deno's default one stores a key instead and
 * would hide a plain assignment. Restored after; `fn` is synchronous, so nothing else runs
 * meanwhile.
 */
export function withStandardProto(fn: () => void): void {
  const deno = Object.getOwnPropertyDescriptor(Object.prototype, "__proto__")!;
  Object.defineProperty(Object.prototype, "__proto__", {
    configurable: true,
    get(this: object) {
      return Object.getPrototypeOf(this);
    },
    set(this: object, value: unknown) {
      if (typeof value === "object") Object.setPrototypeOf(this, value);
    },
  });
  try {
    fn();
  } finally {
    Object.defineProperty(Object.prototype, "__proto__", deno);
  }
}
