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

function answered(clientModel: string): RequestRecord {
  return { ...failed(""), status: 200, outcome: "ok", clientModel, error: undefined };
}

Deno.test("the failure note says when later requests for the same model were answered", async (t) => {
  const loading = 'Provider "local" (model m) answered HTTP 503: Loading model';
  await t.step("a failure Claude Code got past (a model still loading): said so", () => {
    const note = new FailureNote();
    note.ended(failed(loading));
    note.ended(failed(loading));
    note.ended(answered("claude-opus-5-5"));
    assert.match(
      note.note(undefined) ?? "",
      /^ccp: 2 requests failed while claude ran, and later requests for claude-opus-5-5 were answered; the last failure: POST \/v1\/messages .*Loading model/,
    );
  });
  await t.step("another model's answer, or a failure after the answer: the plain note", () => {
    const note = new FailureNote();
    note.ended(failed(loading));
    note.ended(answered("claude-haiku-4-5"));
    assert.match(note.note(undefined) ?? "", /^ccp: 1 request failed while claude ran; the last: /);
    note.ended(answered("claude-opus-5-5"));
    note.ended(failed(loading));
    assert.match(
      note.note(undefined) ?? "",
      /^ccp: 2 requests failed while claude ran; the last: /,
    );
  });
});
