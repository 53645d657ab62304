/** Headers helpers: a copy, a record for fetch, a view without some headers. */

import assert from "node:assert/strict";
import { copyHeaders, headerRecord, headersWithout } from "../../src/core/headers.ts";

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

Deno.test("headerRecord has every header under its lower-case name, repeated ones joined", () => {
  assert.deepEqual(headerRecord(client()), {
    "anthropic-beta": "a-1, b-2",
    authorization: "Bearer ccp-token",
    "user-agent": "claude-cli/2.1",
    "x-api-key": "sk-client",
  });
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
  assert.deepEqual(headerRecord(copyHeaders(view)), {
    "anthropic-beta": "a-1, b-2",
    "user-agent": "claude-cli/2.1",
    "x-api-key": "sk-client",
  });
});
