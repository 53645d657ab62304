/**
 * Headers operations at the cost they should have. Deno walks a Headers object with `for...of`,
 * spreading, `new Headers(headers)` or a fetch/Request `headers:` init by its iterator, which
 * measured ~50 µs for a Claude Code request's ~25 headers (the iterator rebuilds its sorted list
 * on each step); `forEach` visits the same headers in ~2 µs.
 */

/** A copy of `source` that can be changed without touching it. */
export function copyHeaders(source: HeaderReader): Headers {
  const out = new Headers();
  source.forEach((value, name) => out.append(name, value));
  return out;
}

/** What ccp reads of a client's headers: a Headers object has this shape, and so has a view. */
export interface HeaderReader {
  get(name: string): string | null;
  has(name: string): boolean;
  forEach(visit: (value: string, name: string) => void): void;
}

/**
 * `source` as if the named headers were not there, without copying it (the headers a server
 * hands a request cannot be changed, and copying ~25 of them validates each again).
 */
export function headersWithout(source: HeaderReader, names: readonly string[]): HeaderReader {
  const hidden = new Set(names.map((name) => name.toLowerCase()));
  return {
    get: (name) => hidden.has(name.toLowerCase()) ? null : source.get(name),
    has: (name) => !hidden.has(name.toLowerCase()) && source.has(name),
    forEach: (visit) =>
      source.forEach((value, name) => {
        if (!hidden.has(name)) visit(value, name);
      }),
  };
}

/**
 * Two header names as ccp reads them. Deno's `Headers.get` answers four names spelt in lower case
 * (`content-type`, `authorization`, `accept`, `host`) by a shortcut that lowercases every name of
 * the list again on each call (~1.3 KB of garbage and ~1 µs for a hosted upstream's two dozen
 * headers, ~0.8 KB for a Claude Code request's); any other spelling is looked up among the list's
 * lower-case names, made once per Headers object. Names are case-insensitive: the value is the
 * same.
 */
export const CONTENT_TYPE = "Content-Type";
export const AUTHORIZATION = "Authorization";

/** A header value for a name that came from a client or a config: visible ASCII, else %-encoded. */
export function headerSafe(value: string): string {
  // Half of a UTF-16 pair alone (JSON may escape one) has no UTF-8 form: encodeURIComponent
  // throws on it, so it is written as U+FFFD.
  return /^[\x20-\x7e]*$/.test(value) ? value : encodeURIComponent(value.toWellFormed());
}
