/**
 * A translated request's local count starts at once for a small body and after one turn of the
 * event loop for a larger or unsized one, e.g. a web round ccp built (so the request reaches the
 * network before the count).
 */

import assert from "node:assert/strict";
import { countWhileSending } from "../../src/upstream/translated_answer.ts";
import type { TransportRequest } from "../../src/upstream/transport.ts";

function request(
  bodyBytes: number | undefined,
  calls: string[],
): Pick<TransportRequest, "bodyBytes" | "inputTokens"> {
  return {
    ...(bodyBytes === undefined ? {} : { bodyBytes }),
    inputTokens: () => {
      calls.push("count");
      return Promise.resolve(42);
    },
  };
}

Deno.test("a small body is counted at once; a larger or unsized one after an event-loop turn", async () => {
  const cases: [number | undefined, boolean][] = [
    [900, true],
    [4096, true],
    [4097, false],
    [undefined, false],
  ];
  for (const [bytes, atOnce] of cases) {
    const calls: string[] = [];
    const counting = countWhileSending(request(bytes, calls));
    assert.deepEqual(calls, atOnce ? ["count"] : [], `body of ${bytes} bytes`);
    assert.equal(await counting, 42);
    assert.deepEqual(calls, ["count"]);
  }
});
