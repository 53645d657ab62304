/** Minimal path helpers (the project keeps `node:` and extra dependencies out of src/). */

/** True for `/x`, `C:\x`, `C:/x` and `\\server\share`. */
export function isAbsolutePath(path: string): boolean {
  return path.startsWith("/") || path.startsWith("\\") || /^[A-Za-z]:[\\/]/.test(path);
}

/** Joins path segments with "/" (which Windows accepts too), without doubling separators. */
export function joinPath(first: string, ...rest: string[]): string {
  let out = first;
  for (const part of rest) {
    if (part === "") continue;
    out = out === "" ? part : `${out.replace(/[\\/]+$/, "")}/${part.replace(/^[\\/]+/, "")}`;
  }
  return out;
}

/**
 * Resolves `path` against `cwd` unless it is already absolute, without `.` and `..` segments: a
 * path written into a service unit or shown in a message reads as the file it names
 * (`/srv/x.yaml`, not `/srv/sub/../x.yaml`).
 */
export function resolvePath(cwd: string, path: string): string {
  return normalizePath(isAbsolutePath(path) ? path : joinPath(cwd, path));
}

const DOT_SEGMENT = /(^|[\\/])\.\.?([\\/]|$)/;
const WINDOWS_ROOT = /^(?:[A-Za-z]:[\\/]|[\\/]{2}[^\\/]+[\\/][^\\/]+[\\/]?)/;

/**
 * `path` with its `.` segments gone and each `..` taking the segment before it (never the root),
 * as written, not by asking the file system. A path without such segments comes back unchanged;
 * one that had them uses one separator, a Windows path's own.
 */
export function normalizePath(path: string): string {
  if (!DOT_SEGMENT.test(path)) return path;
  const windows = WINDOWS_ROOT.exec(path)?.[0];
  const root = windows ?? (/^[\\/]/.test(path) ? path[0]! : "");
  const separator = windows ? "\\" : "/";
  const kept: string[] = [];
  for (const segment of path.slice(root.length).split(/[\\/]+/)) {
    if (segment === "" || segment === ".") continue;
    if (segment !== "..") kept.push(segment);
    else if (kept.length > 0 && kept.at(-1) !== "..") kept.pop();
    else if (root === "") kept.push(segment);
  }
  const rootShown = windows
    ? windows.replace(/[\\/]/g, separator).replace(/\\?$/, separator)
    : root;
  return rootShown + kept.join(separator) || ".";
}

/** The directory part of a path ("." when there is none). */
export function dirnamePath(path: string): string {
  const trimmed = path.replace(/[\\/]+$/, "");
  const cut = Math.max(trimmed.lastIndexOf("/"), trimmed.lastIndexOf("\\"));
  if (cut < 0) return ".";
  if (cut === 0) return trimmed[0] ?? "/";
  return trimmed.slice(0, cut);
}
