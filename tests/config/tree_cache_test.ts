/**
 * The cache of parsed config trees: a start whose config text was parsed before reads the tree
 * back instead of loading the YAML parser, keeps no secret written in the file, and parses again
 * whenever the text differs or the cache cannot be used.
 */

import assert from "node:assert/strict";
import { configTree, hideSecrets, keyOf, revealSecrets } from "../../src/config/tree_cache.ts";
import { loadConfig } from "../../src/config/load.ts";
import { ConfigError } from "../../src/core/errors.ts";

const TEXT = [
  "providers:",
  "  up: { type: anthropic, base_url: 'https://api.example.com', api_key: sk-ant-literal-0123 }",
  "  other:",
  "    type: openai",
  "    base_url: https://other.example.com/v1",
  "    api_keys:",
  "      - sk-first-key-4567",
  "      - ${OTHER_KEY}",
  "routes: { default: up/claude-sonnet-4-5 }",
  "",
].join("\n");

const cacheFile = (dir: string) => `${dir}/config_trees.json`;

Deno.test("a text parsed once is read back from the cache, with its secrets from the file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const parsed = await configTree(TEXT, "ccp.yaml", dir);
    const stored = await Deno.readTextFile(cacheFile(dir));
    for (const secret of ["sk-ant-literal-0123", "sk-first-key-4567"]) {
      assert.ok(!stored.includes(secret), `${secret} kept on disk`);
    }
    assert.ok(stored.includes("${OTHER_KEY}"), "a reference is no secret");
    assert.equal((await Deno.stat(cacheFile(dir))).mode! & 0o777, 0o600);
    assert.deepEqual(await configTree(TEXT, "ccp.yaml", dir), parsed);

    // The second read comes from the file, not the parser: a tree changed there is what it gets.
    await Deno.writeTextFile(
      cacheFile(dir),
      stored.replace("up/claude-sonnet-4-5", "up/from-the-cache"),
    );
    const cached = await configTree(TEXT, "ccp.yaml", dir);
    assert.deepEqual(cached.routes, { default: "up/from-the-cache" });
    assert.deepEqual(
      (cached.providers as Record<string, Record<string, unknown>>).up!.api_key,
      "sk-ant-literal-0123",
    );
    // Another text is parsed afresh.
    const other = await configTree(TEXT.replace("claude-sonnet-4-5", "m2"), "ccp.yaml", dir);
    assert.deepEqual(other.routes, { default: "up/m2" });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the cache keeps the eight latest texts", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (let i = 0; i < 10; i++) await configTree(`routes: { default: up/m${i} }\n`, "c.yaml", dir);
    const stored = JSON.parse(await Deno.readTextFile(cacheFile(dir)));
    const routes = Object.values(stored.trees).map((tree) =>
      (tree as { routes: { default: string } }).routes.default
    );
    assert.deepEqual(
      routes,
      ["m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9"].map((m) => `up/${m}`),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a text that does not parse throws the parser's error and is not kept", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(
      configTree("routes:\n  default: up/m\n bad: 1\n", "ccp.yaml", dir),
      (err) => err instanceof ConfigError && /ccp\.yaml:\d+:\d+: invalid YAML/.test(err.message),
    );
    await assert.rejects(Deno.stat(cacheFile(dir)), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a damaged, foreign or unwritable cache only means parsing again", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const text = "routes: { default: up/m }\n";
    for (const body of ["{not json", '{"format":99,"trees":{}}', "[]"]) {
      await Deno.writeTextFile(cacheFile(dir), body);
      assert.deepEqual(await configTree(text, "c.yaml", dir), { routes: { default: "up/m" } });
    }
    // A directory where the cache file would go: nothing can be written, the tree still comes.
    const blocked = `${dir}/blocked`;
    await Deno.mkdir(`${blocked}/config_trees.json`, { recursive: true });
    assert.deepEqual(await configTree(text, "c.yaml", blocked), { routes: { default: "up/m" } });
    assert.deepEqual(await configTree(text, "c.yaml", undefined), { routes: { default: "up/m" } });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a tree JSON cannot hold exactly, or with credentials in a URL, is not kept", () => {
  assert.equal(hideSecrets({ timeouts: { read: Infinity } }, ""), undefined);
  assert.equal(hideSecrets({ n: -0 }, ""), undefined);
  const self: Record<string, unknown> = {};
  self.again = self;
  assert.equal(hideSecrets({ self }, ""), undefined);
  assert.equal(
    hideSecrets({ usage: { store: "postgres://ccp:hunter22@db/ccp" } }, ""),
    undefined,
  );
  // A key in a URL's query, as Gemini's `?key=`, is as much a credential as a password.
  const gemini = "https://generativelanguage.googleapis.com/v1beta?key=AIzaQueryOnly0123456789";
  assert.equal(hideSecrets({ providers: { gem: { base_url: gemini } } }, ""), undefined);
  assert.notEqual(hideSecrets({ base_url: "https://g.example/v1?alt=sse&n=3" }, ""), undefined);
  // A reference is no secret (the tree keeps it unexpanded); a default written beside it may be.
  const ref = "https://g.example/v1beta?key=${GEMINI_KEY}&alt=sse";
  assert.deepEqual(hideSecrets({ base_url: ref }, ""), { base_url: ref });
  const fallback = "https://g.example/v1beta?key=${GEMINI_KEY:-AIzaQueryOnly0123456789}";
  assert.equal(hideSecrets({ base_url: fallback }, ""), undefined);
  // A secret inside a longer string stays in the string, so the tree is not kept.
  const text = "p: { api_key: sk-abcdef }\nnote: key sk-abcdef here\n";
  assert.equal(hideSecrets({ note: "key sk-abcdef here" }, text), undefined);
  const hidden = hideSecrets({ a: ["sk-abcdef", 1, true, null] }, text);
  assert.deepEqual(hidden, { a: [{ $ccp_literal_secret: [14, 9] }, 1, true, null] });
  assert.deepEqual(revealSecrets(hidden, text), { a: ["sk-abcdef", 1, true, null] });
  assert.equal(revealSecrets(hidden, "short"), undefined, "a mark past the text");
});

Deno.test("the key tells texts apart by every character and by length", () => {
  const base = "routes: { default: up/m }\n";
  const keys = new Set([base, base + " ", base.replace("m", "n"), "", "\u00e9", "e\u0301"]
    .map(keyOf));
  assert.equal(keys.size, 6);
  assert.equal(keyOf(base), keyOf(String(base)));
});

Deno.test("loadConfig keeps the tree under $XDG_CACHE_HOME/ccp and reads it back", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/ccp.yaml`, TEXT);
    const env = { XDG_CACHE_HOME: `${dir}/cache`, OTHER_KEY: "sk-from-env-8910" };
    const first = await loadConfig({ flags: {}, env, cwd: dir, home: `${dir}/home` });
    const stored = await Deno.readTextFile(`${dir}/cache/ccp/config_trees.json`);
    assert.ok(!stored.includes("sk-from-env-8910") && !stored.includes("sk-ant-literal-0123"));
    const second = await loadConfig({ flags: {}, env, cwd: dir, home: `${dir}/home` });
    assert.deepEqual(second, first);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
