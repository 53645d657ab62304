/**
 * Parsed config trees kept on disk, so a start whose config file has not changed skips the YAML
 * parser: loading it and its first parse were ~10-15 ms of every start, and ~1 MB of the running
 * server. A tree is found by a hash of the file's text, and the parser runs again whenever the
 * text differs. The cache holds no secret written in the file (see {@link hideSecrets}).
 */

import { lazyImport } from "../core/lazy_modules.ts";
import { literalSecrets, redactUrlCredentials } from "../core/secrets.ts";
import { VERSION } from "../version.ts";
import { joinPath } from "./paths.ts";
import { otherOwner } from "../core/other_owner.ts";

type Tree = Record<string, unknown>;

/** Raise when parseYamlTree reads some text differently, so older entries are no longer read. */
const TREE_FORMAT = 3;
const CACHE_FILE = "config_trees.json";
/** Entries kept: a user switching between a few config files keeps all of them. */
const MAX_ENTRIES = 8;
/** Where a literal secret stood in a kept tree: `[offset, length]` of it in the file's text. */
const SECRET_MARK = "$ccp_literal_secret";

interface CacheFile {
  format: number;
  trees: Record<string, unknown>;
}

/**
 * The parsed tree of a config file's text: from `dir`'s cache when an earlier start parsed the
 * same text, else from the YAML parser (then kept for the next start). Syntax errors throw the
 * parser's ConfigError, and nothing is kept; a cache that cannot be read or written is ignored.
 */
export async function configTree(
  text: string,
  file: string,
  dir: string | undefined,
): Promise<Tree> {
  const path = dir === undefined ? undefined : joinPath(dir, CACHE_FILE);
  const key = keyOf(text);
  const cache = path === undefined ? undefined : await readCache(path);
  const kept = cache?.trees[key];
  if (kept !== undefined) {
    const tree = revealSecrets(kept, text);
    if (isTree(tree)) return tree;
  }
  const { parseYamlTree } = await lazyImport("config/yaml_text.ts");
  const tree = parseYamlTree(text, file);
  if (path !== undefined) await keep(path, cache, key, tree, text);
  return tree;
}

/**
 * The text's key: its length and two 32-bit FNV-1a hashes of it with different offsets (64 bits),
 * with ccp's version and the tree format. Not a cryptographic hash: only texts the user wrote meet
 * here, and a cryptographic one cost more than the parse it spares on the first use of the API.
 */
export function keyOf(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    a = Math.imul(a ^ code, 0x01000193);
    b = Math.imul(b ^ code, 0x5bd1e995) ^ (b >>> 15);
  }
  const hex = (n: number) => (n >>> 0).toString(16).padStart(8, "0");
  return `${VERSION}.${TREE_FORMAT}.${text.length}.${hex(a)}${hex(b)}`;
}

async function readCache(path: string): Promise<CacheFile | undefined> {
  try {
    const parsed: unknown = JSON.parse(await Deno.readTextFile(path));
    if (!isTree(parsed) || parsed.format !== TREE_FORMAT || !isTree(parsed.trees)) return undefined;
    return { format: TREE_FORMAT, trees: parsed.trees };
  } catch {
    return undefined;
  }
}

async function keep(
  path: string,
  cache: CacheFile | undefined,
  key: string,
  tree: Tree,
  text: string,
): Promise<void> {
  const hidden = hideSecrets(tree, text);
  // As root in another user's cache dir, nothing is kept (see otherOwner): the next start parses.
  if (hidden === undefined || await otherOwner(path)) return;
  const trees = { ...cache?.trees };
  delete trees[key];
  const keys = Object.keys(trees);
  for (const old of keys.slice(0, Math.max(0, keys.length - (MAX_ENTRIES - 1)))) delete trees[old];
  trees[key] = hidden;
  const body = JSON.stringify({ format: TREE_FORMAT, trees } satisfies CacheFile);
  const dir = path.slice(0, path.length - CACHE_FILE.length - 1);
  // Two servers in one process (tests, `ccp code`) may write at once: each has its own file.
  const temporary = `${path}.${Deno.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    await Deno.writeTextFile(temporary, body, { mode: 0o600 });
    await Deno.rename(temporary, path);
  } catch {
    // A read-only or missing home: the next start parses again.
    await Deno.remove(temporary).catch(() => {});
  }
}

/**
 * The tree as it may be written to disk: each string that is one of the file's literal secrets
 * (`api_key: sk-...`) replaced by where it stands in the text, which {@link revealSecrets} reads
 * back from the file itself. Undefined when the tree cannot be kept exactly or safely: a value
 * JSON cannot hold (`.inf`, `-0`, a tree holding itself), or a secret or URL credentials still in
 * it after the replacement.
 */
export function hideSecrets(tree: Tree, text: string): unknown {
  const secrets = literalSecrets(text);
  let exact = true;
  // A YAML alias may make a tree hold itself, which JSON cannot.
  const path = new Set<unknown>();
  const hide = (value: unknown): unknown => {
    if (typeof value === "string") {
      const at = secrets.includes(value) ? text.indexOf(value) : -1;
      return at < 0 ? value : { [SECRET_MARK]: [at, value.length] };
    }
    if (typeof value === "number") {
      if (!Number.isFinite(value) || Object.is(value, -0)) exact = false;
      return value;
    }
    if (value === null || typeof value === "boolean") return value;
    const plain = Array.isArray(value) ||
      (isTree(value) && !Object.hasOwn(value, "__proto__") && !Object.hasOwn(value, SECRET_MARK));
    if (!plain || path.has(value)) {
      exact = false;
      return null;
    }
    path.add(value);
    const out = Array.isArray(value)
      ? value.map(hide)
      : Object.fromEntries(Object.entries(value).map(([k, v]) => [k, hide(v)]));
    path.delete(value);
    return out;
  };
  const hidden = hide(tree);
  if (!exact) return undefined;
  const json = JSON.stringify(hidden);
  const leaks = secrets.some((secret) => json.includes(JSON.stringify(secret).slice(1, -1)));
  // A query value that is a whole `${VAR}` reference holds no credential: the tree keeps it
  // unexpanded (`?key=${GEMINI_KEY}`), as it keeps `api_key: ${KEY}`.
  const bare = json.replace(QUERY_REFERENCE, "$1");
  return leaks || redactUrlCredentials(bare) !== bare ? undefined : hidden;
}

const QUERY_REFERENCE = /(=)\$\{[A-Za-z_][A-Za-z0-9_]*\}(?=[&#"])/g;

/** A kept tree with the file's secrets back in place; undefined when a mark does not fit `text`. */
export function revealSecrets(kept: unknown, text: string): unknown {
  let whole = true;
  const reveal = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(reveal);
    if (!isTree(value)) return value;
    if (Object.hasOwn(value, SECRET_MARK)) {
      const [at, length] = value[SECRET_MARK] as [number, number];
      if (
        !(Number.isInteger(at) && Number.isInteger(length) && at >= 0 && length > 0 &&
          at + length <= text.length)
      ) {
        whole = false;
        return null;
      }
      return text.slice(at, at + length);
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, reveal(v)]));
  };
  const tree = reveal(kept);
  return whole ? tree : undefined;
}

function isTree(value: unknown): value is Tree {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
