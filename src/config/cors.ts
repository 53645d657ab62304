/** Builds `server.cors` (browser clients) from its parsed YAML section. */

import type { Problems } from "./issues.ts";
import type { CorsConfig } from "./types.ts";

/**
 * Validated origins, written as a browser sends them in `Origin` (`https://app.example`, no path,
 * no default port). `*` lets any page call ccp: refused without a token, since any site the user
 * opens could then spend the provider keys through a ccp on their machine. So is `null`, the
 * origin of sandboxed frames, `file://` pages and some desktop webviews: any site can open a
 * sandboxed frame that sends it, so it is as open as `*`; it is allowed only when written.
 */
export function buildCors(
  section: { readonly origins: readonly string[] } | undefined,
  hasToken: boolean,
  problems: Problems,
): CorsConfig | undefined {
  if (section === undefined) return undefined;
  const path = ["server", "cors", "origins"];
  const origins: string[] = [];
  section.origins.forEach((written, i) => {
    const origin = originOf(written.trim());
    if (origin === undefined) {
      problems.add(
        [...path, i],
        `"${written}" is not an origin: write scheme, host and port only ` +
          `(https://app.example, http://localhost:5173), or * for any`,
      );
    } else if (!origins.includes(origin)) origins.push(origin);
  });
  if (section.origins.length === 0) {
    problems.add(path, "is empty: list the origins whose pages may call ccp, or remove cors");
  }
  if (origins.includes("*") && !hasToken) {
    problems.add(
      path,
      "* lets every web page the user opens call ccp and spend its provider keys: set " +
        "server.auth_token (or clients), or list the origins",
    );
  } else if (origins.includes("null") && !hasToken) {
    problems.add(
      path,
      '"null" lets every web page the user opens call ccp through a sandboxed frame and spend ' +
        "its provider keys: set server.auth_token (or clients)",
    );
  }
  return { origins };
}

/**
 * The schemes of browser extensions' origins (Chromium's and Edge's, Firefox's, Safari's): their
 * pages are refused unless listed, as another site's are.
 */
export const EXTENSION_SCHEMES: ReadonlySet<string> = new Set([
  "chrome-extension:",
  "moz-extension:",
  "safari-web-extension:",
]);

/** `written` as a browser's `Origin` header would say it, or undefined when it is not one. */
function originOf(written: string): string | undefined {
  if (written === "*") return "*";
  if (written.toLowerCase() === "null") return "null";
  let url: URL;
  try {
    url = new URL(written);
  } catch {
    return undefined;
  }
  const extension = EXTENSION_SCHEMES.has(url.protocol);
  if (url.protocol !== "http:" && url.protocol !== "https:" && !extension) return undefined;
  // An origin has no path, query, fragment or credentials (a lone trailing slash is forgiven).
  if (url.username || url.password || url.search || url.hash) return undefined;
  if (url.pathname !== "/" && !(extension && url.pathname === "")) return undefined;
  // An extension's URL has no origin of its own to the URL parser: its id is what Origin says.
  return extension ? `${url.protocol}//${url.host}` : url.origin;
}
