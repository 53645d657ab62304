/**
 * Headers operations at the cost they should have. Deno walks a Headers object with `for…of`,
 * spreading, `new Headers(headers)` or a fetch/Request `headers:` init by its iterator, which
 * measured ~50 µs for a Claude Code request's ~25 headers (the iterator rebuilds its sorted list
 * on each step); `forEach` visits the same headers in ~2 µs.
 */

/** A copy of `source` that can be changed without touching it. */
export function copyHeaders(source: Headers): Headers {
  const out = new Headers();
  source.forEach((value, name) => out.append(name, value));
  return out;
}

/** `headers` as a plain record (names lower-case), the init fetch reads cheaply. */
export function headerRecord(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => {
    out[name] = value;
  });
  return out;
}
