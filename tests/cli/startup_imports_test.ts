/**
 * What `ccp serve` loads before it listens: the clients and libraries that only some configs
 * use are loaded on first need, because each costs every start time and memory (the Redis
 * client alone ~250 ms and ~30 MB), and the YAML parser (an ES module) only when the config
 * file's parsed tree is not in the cache.
 */

import assert from "node:assert/strict";

interface InfoDependency {
  code?: { specifier: string };
  isDynamic?: boolean;
}
interface InfoModule {
  specifier: string;
  dependencies?: InfoDependency[];
}

/** Every module `root` loads through static imports (type-only imports excluded). */
async function staticClosure(path: string): Promise<Set<string>> {
  const root = new URL(path, import.meta.url).href;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", root],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    modules: InfoModule[];
    redirects: Record<string, string>;
  };
  const bySpecifier = new Map(info.modules.map((m) => [m.specifier, m]));
  const resolve = (specifier: string) => info.redirects[specifier] ?? specifier;
  const seen = new Set<string>();
  const pending = [resolve(root)];
  while (pending.length > 0) {
    const specifier = pending.pop()!;
    if (seen.has(specifier)) continue;
    seen.add(specifier);
    for (const dep of bySpecifier.get(specifier)?.dependencies ?? []) {
      if (dep.code && !dep.isDynamic) pending.push(resolve(dep.code.specifier));
    }
  }
  return seen;
}

Deno.test("ccp serve loads no npm package, and YAML and the tokenizer only on first need", async () => {
  const loaded = [...await staticClosure("../../src/cli/serve.ts")];
  // The graph is resolved: the server's own modules and its always-needed packages are in it.
  assert.ok(loaded.some((s) => s.endsWith("/src/server/compose.ts")), "compose.ts reached");
  assert.ok(loaded.some((s) => s.endsWith("/src/server/vendor/hono.js")), "vendored hono reached");
  // No npm package at all: the first one would bring up Deno's npm resolution at every start.
  assert.deepEqual(
    loaded.filter((s) => s.startsWith("npm:")),
    [],
    "npm packages imported statically",
  );
  assert.ok(!loaded.some((s) => s.endsWith("/src/tokens/o200k.ts")), "o200k counter is lazy");
  // The config parser loads only for a config text not parsed before (tree_cache.ts), and then
  // as the vendored ES-module build: the npm package (CommonJS, which brings up the
  // Node-compatibility layer) gives only its types.
  assert.ok(loaded.some((s) => s.endsWith("/src/config/tree_cache.ts")), "the tree cache reached");
  assert.ok(!loaded.some((s) => s.endsWith("/src/config/vendor/yaml.js")), "yaml is lazy");
  const parser = [...await staticClosure("../../src/config/yaml_text.ts")];
  assert.ok(parser.some((s) => s.endsWith("/src/config/vendor/yaml.js")), "vendored yaml reached");
  assert.deepEqual([...loaded, ...parser].filter((s) => s.startsWith("npm:/yaml@")), []);
});

Deno.test("ccp check, ccp statusline and --version load no zod (the config has its own kit)", async () => {
  for (
    const entry of ["../../src/main.ts", "../../src/cli/check.ts", "../../src/cli/statusline.ts"]
  ) {
    const loaded = [...await staticClosure(entry)];
    assert.ok(loaded.length > 1, `${entry} graph resolved`);
    assert.deepEqual(loaded.filter((s) => s.startsWith("npm:/zod@")), [], entry);
  }
});

Deno.test("ccp serve loads each translating protocol and the web tools on first use", async () => {
  const loaded = [...await staticClosure("../../src/cli/serve.ts")];
  assert.ok(loaded.some((s) => s.endsWith("/src/upstream/anthropic/transport.ts")));
  assert.ok(loaded.some((s) => s.endsWith("/src/webtools/plan.ts")), "the web tools' plan is");
  const eager = loaded.filter((s) =>
    /\/src\/(upstream|translate)\/(openai_chat|openai_responses|gemini)\/(?!dialects?\.ts)/.test(
      s,
    ) ||
    /\/src\/webtools\/(mod|loop|round)\.ts$/.test(s)
  );
  assert.deepEqual(eager, []);
});

Deno.test("ccp serve defers what a passthrough config's first answer does not run", async () => {
  // Each costs every start its bytes (Deno's loading goes per byte compiled and evaluated) and
  // loads where it is first needed: the counter on the first local count, the environment modes
  // without a config file, the SSE decoder with a translated or collected stream, the failure
  // wording with the first request that fails, the status page's data with the status page, the
  // shared stores' watcher with a shared store, the forwarded count with the first one.
  const loaded = [...await staticClosure("../../src/cli/serve.ts")];
  assert.ok(loaded.some((s) => s.endsWith("/src/tokens/bound.ts")), "the bound long_context uses");
  const deferred = [
    "tokens/count.ts",
    "tokens/text_counter.ts",
    "tokens/bpe.ts",
    "config/env/mode.ts",
    "config/env/litellm.ts",
    "config/default.ts",
    "translate/sse_decoder.ts",
    "upstream/translated_frames.ts",
    "upstream/collect_stream.ts",
    "resilience/exhausted.ts",
    "observe/ui/state.ts",
    "shared/monitor.ts",
    "pipeline/count_upstream.ts",
  ];
  assert.deepEqual(deferred.filter((path) => loaded.some((s) => s.endsWith(`/src/${path}`))), []);
  const cli = [...await staticClosure("../../src/main.ts")];
  assert.ok(!cli.some((s) => s.endsWith("/src/cli/usage.ts")), "the help text loads for --help");
});

Deno.test("the command line loads no Node module (node:util alone cost every start ~13 ms)", async () => {
  const loaded = [...await staticClosure("../../src/main.ts")];
  assert.ok(loaded.some((s) => s.endsWith("/src/cli/args.ts")), "the flag parser is reached");
  assert.deepEqual(loaded.filter((s) => s.startsWith("node:")), []);
});

Deno.test("the vendored yaml and hono are the versions deno.json pins for their types", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)));
  const vendored: ReadonlyArray<readonly [string, string]> = [
    ["yaml", "config/vendor/yaml.js"],
    ["hono", "server/vendor/hono.js"],
  ];
  for (const [name, file] of vendored) {
    const text = await Deno.readTextFile(new URL(`../../src/${file}`, import.meta.url));
    const pinned = new RegExp(`^npm:${name}@(\\d+\\.\\d+\\.\\d+)$`).exec(config.imports[name])?.[1];
    assert.ok(pinned, `deno.json pins ${name} exactly: ${config.imports[name]}`);
    assert.match(text.split("\n", 1)[0]!, new RegExp(`npm package ${name}@${pinned} `));
  }
});

Deno.test("no module ccp could import is large: Deno reads and analyses them all at every start", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", new URL("../../src/main.ts", import.meta.url).href],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const { modules } = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    modules: { specifier: string; size?: number }[];
  };
  const own = modules.filter((m) => m.specifier.startsWith("file:"));
  assert.ok(own.length > 100, `ccp's own modules are in the graph (${own.length})`);
  // The tokenizer table (1.6 MB) is a data file for this reason; the vendored YAML parser is ~210 KB.
  const large = own.filter((m) => (m.size ?? 0) > 256 * 1024).map((m) => m.specifier);
  assert.deepEqual(large, []);
});

Deno.test("deno.lock holds only the packages ccp runs with; the tests' own are in dev.lock", async () => {
  // Deno installs every package of the lockfile in use before it runs anything, so a test-only
  // package there would be downloaded by every first `deno task start` (160 MB instead of 31 MB).
  const packagesOf = async (file: string) => {
    const lock = JSON.parse(await Deno.readTextFile(new URL(`../../${file}`, import.meta.url)));
    return Object.keys(lock.npm ?? {}).map((key) => key.slice(0, key.indexOf("@", 1)));
  };
  const runtime = new Set([
    "hono",
    "zod",
    "yaml",
    "dotenv",
    "eventsource-parser",
    "postgres",
    "redis",
  ]);
  const extra = (await packagesOf("deno.lock")).filter((name) =>
    !runtime.has(name) && !name.startsWith("@redis/")
  );
  assert.deepEqual(extra, [], "deno.lock names packages ccp does not run with");
  const dev = new Set(await packagesOf("dev.lock"));
  for (const name of ["@anthropic-ai/sdk", "gpt-tokenizer", "puppeteer-core", ...runtime]) {
    assert.ok(dev.has(name), `dev.lock holds ${name}`);
  }
  // Named in deno.json's imports, a package is installed by every `deno task` too.
  const config = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)));
  for (const target of Object.values(config.imports as Record<string, string>)) {
    const name = /^npm:\/?((?:@[^@/]+\/)?[^@/]+)@/.exec(target)?.[1];
    assert.ok(name === undefined || runtime.has(name), `deno.json imports ${target}`);
  }
});
