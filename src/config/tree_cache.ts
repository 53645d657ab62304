/**
 * Parsed config trees kept on disk, so a start whose config file has not changed skips the YAML
 * parser: loading it and its first parse were ~15 ms of every start, and ~3 MB of the running
 * server. A tree is found by a hash of the file's text, and the parser runs again whenever the
 * text differs. The cache holds no secret written in the file (see {@link hideSecrets}).
 */

import { lazyImport } from "../core/lazy_modules.ts";
import { literalSecrets, redactUrlCredentials } from "../core/secrets.ts";
import { VERSION } from "../version.ts";
import { joinPath } from "./paths.ts";

type Tree = Record<string, unknown>;

/** Raise when parseYamlTree's trees change shape, so older entries are no longer read. */
const TREE_FORMAT = 1;
const CACHE_FILE = "config_trees.json";
/** Entries kept: a user switching between a few config files keeps all of them. */
const MAX_ENTRIES = 8;
/** Where a literal secret stood in a kept tree: its index in literalSecrets(text). */
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
  const key = await keyOf(text);
  const cache = path === undefined ? undefined : await readCache(path);
  const kept = cache?.trees[key];
  const secrets = literalSecrets(text);
  if (kept !== undefined) {
    const tree = revealSecrets(kept, secrets);
    if (isTree(tree)) return tree;
  }
  const { parseYamlTree } = await lazyImport("config/yaml_text.ts");
  const tree = parseYamlTree(text, file);
  if (path !== undefined) await keep(path, cache, key, tree, secrets);
  return tree;
}

async function keyOf(text: string): Promise<string> {
  const bytes = new TextEncoder().encode(`ccp ${VERSION} tree ${TREE_FORMAT}\n${text}`);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, "0")).join("");
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
  secrets: readonly string[],
): Promise<void> {
  const hidden = hideSecrets(tree, secrets);
  if (hidden === undefined) return;
  const trees = { ...cache?.trees };
  delete trees[key];
  const keys = Object.keys(trees);
  for (const old of keys.slice(0, Math.max(0, keys.length - (MAX_ENTRIES - 1)))) delete trees[old];
  trees[key] = hidden;
  const body = JSON.stringify({ format: TREE_FORMAT, trees } satisfies CacheFile);
  const dir = path.slice(0, path.length - CACHE_FILE.length - 1);
  const temporary = `${path}.${Deno.pid}.tmp`;
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
 * (`api_key: sk-…`) replaced by its index, which {@link revealSecrets} reads back from the file's
 * own text. Undefined when the tree cannot be kept exactly or safely: a value JSON cannot hold
 * (`.inf`, `-0`), or a secret or URL credentials still in it after the replacement.
 */
export function hideSecrets(tree: Tree, secrets: readonly string[]): unknown {
  let exact = true;
  // A YAML alias may make a tree hold itself, which JSON cannot.
  const path = new Set<unknown>();
  const hide = (value: unknown): unknown => {
    if (path.has(value)) {
      exact = false;
      return null;
    }
    if (typeof value === "string") {
      const index = secrets.indexOf(value);
      return index < 0 ? value : { [SECRET_MARK]: index };
    }
    if (typeof value === "number") {
      if (!Number.isFinite(value) || Object.is(value, -0)) exact = false;
      return value;
    }
    if (value === null || typeof value === "boolean") return value;
    const plain = Array.isArray(value) ||
      (isTree(value) && !Object.hasOwn(value, "__proto__") && !Object.hasOwn(value, SECRET_MARK));
    if (!plain) {
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
  return leaks || redactUrlCredentials(json) !== json ? undefined : hidden;
}

/** A kept tree with the file's secrets back in place; undefined when one is missing. */
export function revealSecrets(kept: unknown, secrets: readonly string[]): unknown {
  let whole = true;
  const reveal = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(reveal);
    if (!isTree(value)) return value;
    if (Object.hasOwn(value, SECRET_MARK)) {
      const secret = secrets[value[SECRET_MARK] as number];
      if (secret === undefined) whole = false;
      return secret;
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
