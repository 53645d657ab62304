/**
 * An interactive claude prints `claude --resume <id>` as it exits, which typed as printed leaves
 * ccp out: `ccp code` says the command that resumes the session through ccp, with the id of the
 * session its latest request carried.
 */

import assert from "node:assert/strict";
import { codeCommand, ResumeNote } from "../../src/cli/code_resume.ts";
import type { RequestRecord } from "../../src/pipeline/record.ts";

const FIRST = "7af260a4-c49c-4f42-b6b3-2856c8e121f0";
const AFTER_CLEAR = "63ba01d4-9a61-4102-af26-85ed08bd97f1";

function request(session: string | undefined, status = 200): RequestRecord {
  return {
    id: "req_x",
    startedAt: 0,
    method: "POST",
    path: "/v1/messages",
    attempts: [],
    status,
    outcome: status < 400 ? "ok" : "error",
    usage: {},
    durationMs: 4,
    ...(session === undefined ? {} : { session }),
  };
}

Deno.test("ResumeNote: the latest session's id, after a failed request too; none without one", () => {
  const note = new ResumeNote();
  assert.equal(note.note("ccp code"), undefined, "no request, no line");
  note.ended(request(undefined));
  assert.equal(note.note("ccp code"), undefined, "a client without a session");
  note.ended(request(FIRST));
  // After /clear Claude Code sends a new id, the one it prints on exit.
  note.ended(request(AFTER_CLEAR, 400));
  note.ended(request(undefined));
  assert.equal(
    note.note("ccp code --port 8090"),
    `ccp: resume this session through ccp with: ccp code --port 8090 --resume ${AFTER_CLEAR}`,
  );
});

Deno.test("ResumeNote: a session header that is no UUID never reaches the terminal", () => {
  const note = new ResumeNote();
  note.ended(request(FIRST));
  for (const odd of ["\x1b]0;owned\x07", `${FIRST}\n`, "x".repeat(36), `${FIRST}; rm -rf ~`]) {
    note.ended(request(odd));
  }
  assert.equal(
    note.note("ccp code"),
    `ccp: resume this session through ccp with: ccp code --resume ${FIRST}`,
  );
});

Deno.test("codeCommand: the run's ccp flags that choose the proxy, config and ledger, quoted", () => {
  assert.equal(codeCommand("ccp", {}), "ccp code");
  assert.equal(
    codeCommand("deno task start", {
      config: "/home/me/my configs/c.yaml",
      dataDir: "/d",
      host: "127.0.0.1",
      port: 0,
      logLevel: "debug",
      logFile: "/tmp/l",
    }),
    "deno task start code --config '/home/me/my configs/c.yaml' --data-dir /d --host 127.0.0.1 --port 0",
  );
});
