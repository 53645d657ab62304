/** The Anthropic SSE frames ccp writes itself. */

import assert from "node:assert/strict";
import { pingFrame } from "../../../src/translate/anthropic/sse.ts";

Deno.test("ping frame", () => {
  assert.equal(new TextDecoder().decode(pingFrame()), 'event: ping\ndata: {"type":"ping"}\n\n');
});
