/**
 * `deno task test` runs four test files at a time, as workers of one process: a file that changed
 * what the process shares (its environment, working directory or signal handling) would change
 * it under the file running beside it, which then fails only now and then.
 */

import assert from "node:assert/strict";

// Spelled in pieces so that this file does not match itself.
const SHARED_STATE = [
  "Deno.env." + "set(",
  "Deno.env." + "delete(",
  "Deno." + "chdir(",
  "Deno.kill(" + "Deno.pid",
];

async function* testSources(dir: URL): AsyncGenerator<[string, string]> {
  for await (const entry of Deno.readDir(dir)) {
    const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
    if (entry.isDirectory) yield* testSources(url);
    else if (entry.name.endsWith(".ts")) yield [url.pathname, await Deno.readTextFile(url)];
  }
}

Deno.test("no test file changes the environment, working directory or signals of the process", async () => {
  const found: string[] = [];
  for await (const [path, text] of testSources(new URL("./", import.meta.url))) {
    for (const call of SHARED_STATE) if (text.includes(call)) found.push(`${path}: ${call}`);
  }
  assert.deepEqual(found, [], "pass what a test needs to its child process or as a parameter");
});
