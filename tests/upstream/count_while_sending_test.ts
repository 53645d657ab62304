/**
 * A translated request's local count starts at once for a small body (a timer turn costs ~2 ms,
 * which a fast upstream's first token would wait for) and after one timer turn for a large or
 * unsized body (so the request reaches the network before the count's CPU).
 */

import assert from "node:assert/strict";
import { countWhileSending } from "../../src/upstream/translated_answer.ts";
import type { TransportRequest } from "../../src/upstream/transport.ts";

function request(
  contentLength: string | undefined,
  calls: string[],
): Pick<TransportRequest, "clientHeaders" | "inputTokens"> {
  const headers = new Headers(
    contentLength === undefined ? {} : { "content-length": contentLength },
  );
  return {
    clientHeaders: headers,
    inputTokens: () => {
      calls.push("count");
      return Promise.resolve(42);
    },
  };
}

Deno.test("a small body is counted at once; a large or unsized one after a timer turn", async () => {
  for (
    const [length, atOnce] of [["900", true], ["65536", true], ["65537", false], [
      undefined,
      false,
    ]] as const
  ) {
    const calls: string[] = [];
    const counting = countWhileSending(request(length, calls));
    assert.deepEqual(calls, atOnce ? ["count"] : [], `content-length ${length}`);
    assert.equal(await counting, 42);
    assert.deepEqual(calls, ["count"]);
  }
});
