/**
 * `/<provider>:<model>/v1/...` -- splits the routing prefix (the first routing rule) off the
 * path. Every route works under a prefix: a client whose base URL carries one also probes
 * `HEAD /<prefix>/api/hello` and may read `/<prefix>/health`.
 */

/** The path without its routing prefix, and the decoded prefix itself. */
export interface SplitPath {
  path: string;
  prefix?: string;
}

// Routes outside /v1/ that a prefixed base URL reaches (the prefix itself may hold slashes). The
// status page asks for its parts by addresses relative to its own, so they come prefixed too.
const TAILS = [
  "/health",
  "/api/hello",
  "/metrics",
  "/ui",
  "/ui/",
  "/ui/state",
  "/ui/events",
  "/ui/uplot.js",
  "/ui/uplot.css",
  "/",
];

function decoded(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** Splits `/local:qwen3-coder/v1/messages` into `/v1/messages` and `local:qwen3-coder`. */
export function splitRoutingPrefix(pathname: string): SplitPath {
  if (pathname.startsWith("/v1/") || pathname === "/v1") return { path: pathname };
  const at = pathname.indexOf("/v1/");
  if (at > 0) return { path: pathname.slice(at), prefix: decoded(pathname.slice(1, at)) };
  for (const tail of TAILS) {
    if (pathname.length > tail.length + 1 && pathname.endsWith(tail)) {
      const raw = pathname.slice(1, pathname.length - tail.length);
      // Without a `:` the first segment is an unknown path, not a `provider:model` prefix.
      if (decoded(raw).includes(":")) return { path: tail, prefix: decoded(raw) };
    }
  }
  if (
    pathname.length > 1 && !pathname.slice(1).includes("/") &&
    decoded(pathname.slice(1)).includes(":")
  ) {
    return { path: "/", prefix: decoded(pathname.slice(1)) };
  }
  return { path: pathname };
}
