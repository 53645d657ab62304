/** `/<provider>:<model>/v1/...` — splits the routing prefix (the first routing rule) off the path. */

/** The path without its routing prefix, and the decoded prefix itself. */
export interface SplitPath {
  path: string;
  prefix?: string;
}

/** Splits `/local:qwen3-coder/v1/messages` into `/v1/messages` and `local:qwen3-coder`. */
export function splitRoutingPrefix(pathname: string): SplitPath {
  if (pathname.startsWith("/v1/") || pathname === "/v1") return { path: pathname };
  const at = pathname.indexOf("/v1/");
  if (at <= 0) return { path: pathname };
  const raw = pathname.slice(1, at);
  try {
    return { path: pathname.slice(at), prefix: decodeURIComponent(raw) };
  } catch {
    return { path: pathname.slice(at), prefix: raw };
  }
}
