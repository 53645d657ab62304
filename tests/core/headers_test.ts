/** Headers helpers: a copy, a view without some headers, and how src walks Headers. */

import assert from "node:assert/strict";
import { copyHeaders, headersWithout } from "../../src/core/headers.ts";

const client = () =>
  new Headers([
    ["Authorization", "Bearer ccp-token"],
    ["x-api-key", "sk-client"],
    ["anthropic-beta", "a-1"],
    ["anthropic-beta", "b-2"],
    ["User-Agent", "claude-cli/2.1"],
  ]);

Deno.test("copyHeaders copies every header, and changing the copy leaves the source alone", () => {
  const source = client();
  const copy = copyHeaders(source);
  assert.deepEqual([...copy], [...source]);
  copy.delete("authorization");
  assert.equal(source.get("authorization"), "Bearer ccp-token");
});

Deno.test("headersWithout hides the named headers from get, has and forEach, in any case", () => {
  const view = headersWithout(client(), ["Authorization"]);
  assert.equal(view.get("authorization"), null);
  assert.equal(view.get("AUTHORIZATION"), null);
  assert.equal(view.has("Authorization"), false);
  assert.equal(view.get("X-Api-Key"), "sk-client");
  assert.equal(view.has("user-agent"), true);
  const seen: string[] = [];
  view.forEach((value, name) => seen.push(`${name}=${value}`));
  assert.deepEqual(seen, [
    "anthropic-beta=a-1, b-2",
    "user-agent=claude-cli/2.1",
    "x-api-key=sk-client",
  ]);
  assert.deepEqual([...copyHeaders(view)], [
    ["anthropic-beta", "a-1, b-2"],
    ["user-agent", "claude-cli/2.1"],
    ["x-api-key", "sk-client"],
  ]);
});

Deno.test("src walks Headers only with forEach (Deno's Headers iterator costs ~2 µs per header)", async () => {
  const offenders: string[] = [];
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(dir)) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) await walk(path);
      else if (path.endsWith(".ts")) {
        // Code only: comments may name what not to do.
        const text = (await Deno.readTextFile(path)).split("\n")
          .filter((line) => !/^\s*(\/\/|\/?\*)/.test(line)).join("\n");
        // `for (… of headers)`, `[...headers]` and `new Headers(headers)` go through the iterator.
        const found = text.match(
          /for \([^)]*\bof [\w.]*[hH]eaders\)|\[\.\.\.[\w.]*[hH]eaders\]|new Headers\([\w.]+\)/g,
        );
        if (found) offenders.push(...found.map((f) => `${path}: ${f}`));
      }
    }
  };
  await walk(new URL("../../src", import.meta.url).pathname);
  assert.deepEqual(offenders, []);
});
