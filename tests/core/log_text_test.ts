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

Deno.test("each level's tag, plain and coloured, and nothing below the logger's level", () => {
  for (const colour of [false, true]) {
    const lines: string[] = [];
    const log = createLogger({
      level: "debug",
      colour,
      now: () => new Date(0),
      write: (line) => lines.push(line),
    });
    log.debug("d");
    log.info("i");
    log.warn("w");
    log.error("e");
    const tags = ["DEBUG", "INFO ", "WARN ", "ERROR"];
    const colours = ["\x1b[90m", "\x1b[36m", "\x1b[33m", "\x1b[31m"];
    assert.deepEqual(
      lines,
      tags.map((tag, i) =>
        `1970-01-01T00:00:00.000Z ${colour ? `${colours[i]}${tag}\x1b[0m` : tag} ${"diwe"[i]}\n`
      ),
    );
  }
  const lines: string[] = [];
  const log = createLogger({ level: "warn", colour: false, write: (line) => lines.push(line) });
  log.info("dropped");
  log.debug("dropped");
  log.error("kept");
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, / ERROR kept\n$/);
});

Deno.test("a logger asks for its held lines to be written after each warn and error line", () => {
  const events: string[] = [];
  const log = createLogger({
    level: "debug",
    colour: false,
    now: () => new Date(0),
    write: (line) => void events.push(line.slice(25, -1)),
    flush: () => void events.push("flush"),
  });
  log.debug("d");
  log.info("i");
  log.warn("w");
  log.error("e");
  assert.deepEqual(events, ["DEBUG d", "INFO  i", "WARN  w", "flush", "ERROR e", "flush"]);
  const json = createLogger({
    level: "warn",
    format: "json",
    write: () => void events.push("json line"),
    flush: () => void events.push("json flush"),
  });
  json.info("dropped");
  json.warn("w");
  assert.deepEqual(events.slice(6), ["json line", "json flush"]);
});
