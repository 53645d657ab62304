/**
 * The line `ccp code` prints after claude exits is the one place on the terminal that says why a
 * request failed (Claude Code hides a 404's message): it carries the whole message, whose end is
 * often what to do, while the log line keeps its cut, marked as one.
 */

import assert from "node:assert/strict";
import { FailureNote } from "../../src/cli/code_failures.ts";
import { formatRecord } from "../../src/pipeline/log_observer.ts";
import type { RequestRecord } from "../../src/pipeline/record.ts";

const ADVICE = '(NVIDIA NIM serves no model "m" to this key: check the name on build.nvidia.com)';

function failed(error: string): RequestRecord {
  return {
    id: "req_x",
    startedAt: 0,
    method: "POST",
    path: "/v1/messages",
    attempts: [],
    status: 404,
    outcome: "error",
    usage: {},
    durationMs: 4,
    clientModel: "claude-opus-5-5",
    provider: "nim",
    model: "m",
    error,
  };
}

Deno.test("the failure note keeps a long message's end; the log line marks its cut", () => {
  const error = `Provider "nim" (model m) answered HTTP 404: ${"x".repeat(400)} ${ADVICE}`;
  const note = new FailureNote();
  note.ended(failed(error));
  const line = note.note("/tmp/ccp.log") ?? "";
  assert.ok(line.includes(ADVICE), line);
  assert.ok(line.endsWith("(log: /tmp/ccp.log)"), line);
  const logged = formatRecord(failed(error));
  assert.ok(!logged.includes(ADVICE), logged);
  assert.ok(logged.endsWith("x…)"), logged);
});
