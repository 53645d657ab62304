/**
 * ccp's program code uses web standards and Deno's own APIs, so one binary behaves the same on every
 * OS and the Node compatibility layer (its start cost and its differences) stays out of it. The
 * command line may use `node:util` (argument parsing); nothing else under src/ may import `node:`.
 */

import assert from "node:assert/strict";

const SRC = new URL("../../src/", import.meta.url);
// `from "node:x"`, `import("node:x")` and `import "node:x"`, with either quote.
const NODE_IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["'](node:[\w/]+)["']/g;

/** `path: node:x` for each Node module imported under `dir`, except `node:util` in cli/. */
export async function nodeImports(dir: URL, prefix = ""): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = `${prefix}${entry.name}`;
    if (entry.isDirectory) {
      found.push(...await nodeImports(new URL(`${entry.name}/`, dir), `${path}/`));
      continue;
    }
    if (!/\.(ts|js)$/.test(entry.name)) continue;
    const text = await Deno.readTextFile(new URL(entry.name, dir));
    for (const [, module] of text.matchAll(NODE_IMPORT)) {
      if (module === "node:util" && path.startsWith("cli/")) continue;
      found.push(`${path}: ${module}`);
    }
  }
  return found;
}

Deno.test("no module under src/ imports a Node module (node:util in the command line aside)", async () => {
  assert.deepEqual(await nodeImports(SRC), []);
});

Deno.test("the scan finds each form of a Node import and allows only node:util in cli/", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/cli`);
    await Deno.mkdir(`${dir}/server`);
    await Deno.writeTextFile(`${dir}/cli/args.ts`, `import { parseArgs } from "node:util";\n`);
    await Deno.writeTextFile(
      `${dir}/server/a.ts`,
      `import { createBrotliDecompress } from "node:zlib";\nconst m = await import('node:fs');\n` +
        `import "node:process";\n// a comment naming node:os is not an import\n`,
    );
    await Deno.writeTextFile(`${dir}/server/b.ts`, `import { inspect } from "node:util";\n`);
    const found = await nodeImports(new URL(`file://${dir}/`));
    assert.deepEqual(found.sort(), [
      "server/a.ts: node:fs",
      "server/a.ts: node:process",
      "server/a.ts: node:zlib",
      "server/b.ts: node:util",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
