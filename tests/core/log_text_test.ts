import assert from "node:assert/strict";
import { createLogger } from "../../src/core/log.ts";

Deno.test("a text log line escapes control and bidi characters, and indents a message's further lines", () => {
  const lines: string[] = [];
  const log = createLogger({
    level: "info",
    colour: false,
    now: () => new Date(0),
    write: (line) => lines.push(line),
  });
  log.warn("model m\x1b[31mred\u202erev\u2066\tx\nsecond line\r");
  assert.deepEqual(lines, [
    "1970-01-01T00:00:00.000Z WARN  model m\\x1b[31mred\\u202erev\\u2066\\x09x\n" +
    "    second line\\x0d\n",
  ]);
});
