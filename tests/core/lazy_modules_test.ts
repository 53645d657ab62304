/**
 * The modules ccp loads on first need stay out of what Deno prepares at every start, still load
 * when needed, and are embedded by `deno compile`.
 */

import assert from "node:assert/strict";
import { LAZY_MODULES, lazyImport } from "../../src/core/lazy_modules.ts";
import { includes } from "../../scripts/compile.ts";

const SRC = new URL("../../src/", import.meta.url);

interface InfoModule {
  specifier: string;
  dependencies?: { code?: { specifier: string } }[];
}

Deno.test("each lazily loaded module exists and loads", async () => {
  for (const path of LAZY_MODULES) {
    const module = await lazyImport(path);
    assert.ok(Object.keys(module).length > 0, `${path} exports nothing`);
  }
});

Deno.test("a module asked for again is not imported again: the first import is kept", async () => {
  const first = lazyImport("cli/usage.ts");
  assert.equal(lazyImport("cli/usage.ts"), first);
  assert.equal(await lazyImport("cli/usage.ts"), await first);
});

Deno.test("a lazy import is typed by its path: no call can be typed as another module", async () => {
  const check = await lazyImport("cli/check.ts");
  assert.equal(typeof check.runCheck, "function");
  // Type checking (which `deno test` does) refuses both of these: a type given apart from the
  // path could name another module than the one loaded, and an unlisted module is not embedded.
  const typedAsAnother = () =>
    // @ts-expect-error the path alone decides the module's type
    lazyImport<typeof import("../../src/cli/serve.ts")>("cli/check.ts");
  // @ts-expect-error only listed modules load lazily
  const unlisted = () => lazyImport("cli/args.ts");
  assert.equal(typeof typedAsAnother, typeof unlisted);
});

Deno.test("Deno prepares none of the lazily loaded modules when ccp starts", async () => {
  // What `deno run src/main.ts` reads before ccp's first line: every module that code imports
  // name, dynamic imports with literal specifiers included; type-only imports are not run.
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", new URL("main.ts", SRC).href],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as { modules: InfoModule[] };
  const bySpecifier = new Map(info.modules.map((m) => [m.specifier, m]));
  const prepared = new Set<string>();
  const pending = [new URL("main.ts", SRC).href];
  while (pending.length > 0) {
    const specifier = pending.pop()!;
    if (prepared.has(specifier)) continue;
    prepared.add(specifier);
    for (const dep of bySpecifier.get(specifier)?.dependencies ?? []) {
      if (dep.code) pending.push(dep.code.specifier);
    }
  }
  assert.ok(prepared.has(new URL("cli/run.ts", SRC).href), "the CLI is reached");
  for (const path of LAZY_MODULES) {
    assert.ok(!prepared.has(new URL(path, SRC).href), `${path} is prepared at every start`);
  }
});

Deno.test("src imports its own modules lazily only through lazyImport", async () => {
  // `import("./x.ts")` would have Deno prepare x.ts and all it imports at every start.
  const literal = /\bimport\(\s*["'`](\.{1,2}\/[^"'`]+)["'`]\s*\)/g;
  const found: string[] = [];
  const walk = async (dir: URL) => {
    for await (const entry of Deno.readDir(dir)) {
      const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
      if (entry.isDirectory) await walk(url);
      else if (entry.name.endsWith(".ts")) {
        const text = await Deno.readTextFile(url);
        // `typeof import("…")` only names a type.
        for (const match of text.matchAll(literal)) {
          if (!text.slice(Math.max(0, match.index - 7), match.index).includes("typeof")) {
            found.push(`${url.pathname.slice(SRC.pathname.length)}: ${match[0]}`);
          }
        }
      }
    }
  };
  await walk(SRC);
  assert.deepEqual(found, []);
});

Deno.test("deno compile embeds every lazily loaded module and the tokenizer table", async () => {
  const args = includes();
  const files = args.filter((_, i) => i % 2 === 1);
  assert.ok(args.every((arg, i) => i % 2 === 1 || arg === "--include"));
  assert.ok(files.includes("src/tokens/o200k_ranks.bin"));
  for (const path of LAZY_MODULES) assert.ok(files.includes(`src/${path}`), path);
  for (const file of files) await Deno.stat(new URL(`../../${file}`, import.meta.url));
});
