import assert from "node:assert/strict";
import { createLogger } from "../../src/core/log.ts";
import { guardRefusalLog } from "../../src/server/guard_log.ts";

Deno.test("guard refusal log: names each request-id, one warning a minute with the count between", () => {
  const lines: string[] = [];
  let now = 1_000_000;
  const note = guardRefusalLog(
    createLogger({ level: "info", write: (line) => lines.push(line), colour: false }),
    () => now,
  );
  const refusal = (requestId: string, message = "Request headers exceed 64 KiB") => ({
    status: 400,
    message,
    requestId,
    peer: "127.0.0.1:50000",
  });
  note(refusal("req_first"));
  note(refusal("req_second"));
  now += 30_000;
  note(refusal("req_third"));
  assert.equal(lines.length, 1);
  assert.match(
    lines[0]!,
    /Refused a request from 127\.0\.0\.1:50000 with 400: Request headers exceed 64 KiB; request req_first$/m,
  );
  now += 31_000;
  note(refusal("req_fourth", 'Content-Length "1\u001b[2J" is not a number of bytes'));
  assert.equal(lines.length, 2);
  assert.match(
    lines[1]!,
    /Content-Length "1\?\[2J" is not a number of bytes; request req_fourth; 2 more refused since the last such line, the latest req_third/,
  );
});

Deno.test("guard refusal log: at debug level, each refusal not warned of has its own line", () => {
  const lines: string[] = [];
  const note = guardRefusalLog(
    createLogger({ level: "debug", write: (line) => lines.push(line), colour: false }),
    () => 0,
  );
  for (const id of ["req_a", "req_b"]) {
    note({ status: 503, message: "Too many connections to ccp", requestId: id, peer: "::1:1" });
  }
  assert.equal(lines.length, 2);
  assert.match(lines[1]!, /with 503: Too many connections to ccp \(request req_b\)/);
});
