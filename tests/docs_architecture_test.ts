/**
 * docs/architecture.md names the modules behind each feature; a file moved, split or renamed
 * leaves a reader looking for code that is not there. Every path it names must exist, and every
 * code name it quotes (`resolveRoute`, `UsageStore`, `ccp_client_requests_total`) must still be
 * written somewhere in src/.
 */

import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);
const DOC = "docs/architecture.md";

/** The text of every .ts file under src/, joined. */
async function sourceText(dir = "src/"): Promise<string> {
  const parts: string[] = [];
  for await (const entry of Deno.readDir(new URL(dir, ROOT))) {
    const path = `${dir}${entry.name}`;
    if (entry.isDirectory) parts.push(await sourceText(`${path}/`));
    else if (entry.name.endsWith(".ts")) parts.push(await Deno.readTextFile(new URL(path, ROOT)));
  }
  return parts.join("\n");
}

function kind(path: string): "file" | "dir" | undefined {
  try {
    return Deno.statSync(new URL(path, ROOT)).isDirectory ? "dir" : "file";
  } catch {
    return undefined;
  }
}

/**
 * The paths the document names, in order, each from the repository root. A bare name
 * (`serve_stores.ts`, `tracing/`) is in the folder of the full path named last before it, as the
 * document writes `src/cli/serve.ts`; … in `serve_stores.ts`.
 */
function namedPaths(text: string, isDir: (path: string) => boolean): string[] {
  const paths: string[] = [];
  let folder = "";
  const found = text.matchAll(/`([^`\s]+)`|\((src\/[^)\s]+)\)/g);
  for (const [, quoted, inParens] of found) {
    const token = (quoted ?? inParens)!.replace(/[:,;]$/, "");
    if (token.includes("<")) continue;
    if (/^(src|tests|bench|scripts|docs)\//.test(token)) {
      const path = token.replace(/\/$/, "");
      folder = isDir(path) ? `${path}/` : path.slice(0, path.lastIndexOf("/") + 1);
      paths.push(token);
    } else if (/^[\w.-]+\.ts$|^[a-z_]+\/$/.test(token) && folder) {
      paths.push(`${folder}${token}`);
    }
  }
  return paths;
}

/** The bare code names the document quotes (`RedisGuards`, `resolveRoute()`, `model_list`). */
function namedSymbols(text: string): string[] {
  return [...text.matchAll(/`([A-Za-z_][A-Za-z0-9_]*)(?:\(\))?`/g)].map((m) => m[1]!);
}

Deno.test("every path docs/architecture.md names exists", async () => {
  const text = await Deno.readTextFile(new URL(DOC, ROOT));
  const paths = namedPaths(text, (path) => kind(path) === "dir");
  assert.ok(paths.length >= 80, `found only ${paths.length} paths`);
  assert.deepEqual(paths.filter((path) => kind(path.replace(/\/$/, "")) === undefined), []);
});

Deno.test("every code name docs/architecture.md quotes is in src/", async () => {
  const text = await Deno.readTextFile(new URL(DOC, ROOT));
  const source = await sourceText();
  const names = namedSymbols(text);
  assert.ok(names.length >= 15, `found only ${names.length} names`);
  const missing = names.filter((name) => !new RegExp(`\\b${name}\\b`).test(source));
  assert.deepEqual([...new Set(missing)], []);
});

Deno.test("a bare file name is in the folder of the path named before it", () => {
  const dirs = new Set(["src/cli", "src/observe/tracing"]);
  const text = "`src/cli/serve.ts`; `serve_stores.ts` and `src/observe/tracing/`: `spans.ts`, " +
    "`src/cli` (`env/`), (src/core/json.ts) `gone.ts`";
  assert.deepEqual(namedPaths(text, (path) => dirs.has(path)), [
    "src/cli/serve.ts",
    "src/cli/serve_stores.ts",
    "src/observe/tracing/",
    "src/observe/tracing/spans.ts",
    "src/cli",
    "src/cli/env/",
    "src/core/json.ts",
    "src/core/gone.ts",
  ]);
  assert.deepEqual(namedSymbols("`resolveRoute` in `a.ts`, `rememberRawJson()`, `x-ccp-passed`"), [
    "resolveRoute",
    "rememberRawJson",
  ]);
});
