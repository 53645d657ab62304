import assert from "node:assert/strict";
import { anthropicBody, sessionBody } from "../../bench/bodies.ts";

// Above U+00FF, V8 holds a decoded string as two-byte text, which every step of a request pays
// for (decoding, parsing, encoding for the upstream); Claude Code's bodies always have such
// characters (its em dashes), so the bench's must too or it measures a cheaper path.
const twoByte = (text: string) => [...text].some((c) => c.codePointAt(0)! > 0xff);

Deno.test("the Claude Code body holds two-byte text, as Claude Code's own bodies do", () => {
  assert(twoByte(JSON.stringify(anthropicBody("claude-code", "m"))));
  assert(twoByte(JSON.stringify(sessionBody(3))));
  assert(!twoByte(JSON.stringify(anthropicBody("small", "m"))));
});
