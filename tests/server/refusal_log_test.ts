import assert from "node:assert/strict";
import { createLogger } from "../../src/core/log.ts";
import { refusalLog } from "../../src/server/refusal_log.ts";

Deno.test("refusal log: one line a minute, then the count of those not written", () => {
  const lines: string[] = [];
  let now = 1_000_000;
  const note = refusalLog(
    createLogger({ level: "info", write: (line) => lines.push(line), colour: false }),
    () => now,
  );
  note({
    method: "POST",
    path: "/v1/messages",
    requestId: "req_first",
    userAgent: "claude-cli/2.1.330 (external, cli)",
  });
  note({ method: "POST", path: "/v1/messages", requestId: "req_second" });
  now += 30_000;
  note({ method: "GET", path: "/v1/models", requestId: "req_third" });
  assert.equal(lines.length, 1);
  assert.match(
    lines[0]!,
    /Refused POST \/v1\/messages \(claude-cli\/2\.1\.330 \(external, cli\)\)/,
  );
  // Where that token is set: a token from the environment is not in the config file.
  assert.match(
    lines[0]!,
    /the client must send ccp's auth token \(server\.auth_token or CCP_AUTH_TOKEN\) \(ANTHROPIC_AUTH_TOKEN for Claude Code\)/,
  );
  now += 31_000;
  note({ method: "GET", path: "/v1/models\u001b[2J", requestId: "req_fourth", userAgent: "x\ny" });
  assert.equal(lines.length, 2);
  assert.match(lines[1]!, /Refused GET \/v1\/models\?\[2J \(x\?y\).*; 2 more refused since/);
});

Deno.test("refusal log: says what kind of credential came instead, never the credential", () => {
  const lines: string[] = [];
  let now = 0;
  const note = refusalLog(
    createLogger({ level: "info", write: (line) => lines.push(line), colour: false }),
    () => now,
  );
  const login = "sk-ant-oat01-SECRETLOGIN0123456789";
  const cases: Array<[Record<string, string>, string]> = [
    [{ authorization: `Bearer ${login}` }, "it sent its Claude login: Claude Code is logged in"],
    [{ "x-api-key": "sk-ant-api03-SECRETKEY0123" }, "it sent an Anthropic API key"],
    [{ authorization: "Bearer SECRET-other" }, "it sent another token"],
    [{}, "it sent no token"],
  ];
  for (const [headers, said] of cases) {
    note({
      method: "POST",
      path: "/v1/messages",
      requestId: "req_1",
      headers: new Headers(headers),
    });
    now += 61_000;
    const line = lines.at(-1)!;
    assert.ok(line.includes(`missing or wrong ccp token (${said}`), line);
    assert.doesNotMatch(line, /SECRET/);
  }
});

Deno.test("refusal log: every refusal's request-id can be found, the log still one line a minute", () => {
  const lines: string[] = [];
  let now = 0;
  const log = (level: "info" | "debug") =>
    createLogger({ level, format: "json", write: (line) => lines.push(line), colour: false });
  const note = refusalLog(log("info"), () => now);
  // A client retrying in a loop: 1000 refusals in under a minute.
  for (let i = 0; i < 1000; i++) {
    note({ method: "POST", path: "/v1/messages", requestId: `req_${i}` });
    now += 50;
  }
  assert.equal(lines.length, 1, "one line for the first");
  const first = JSON.parse(lines[0]!);
  assert.equal(first.request_id, "req_0");
  assert.match(first.msg, /; request req_0$/);
  now += 60_000;
  note({ method: "POST", path: "/v1/messages", requestId: "req_next" });
  assert.equal(lines.length, 2);
  const next = JSON.parse(lines[1]!);
  assert.equal(next.request_id, "req_next");
  assert.match(
    next.msg,
    /; request req_next; 999 more refused since the last such line, the latest req_999$/,
  );
  assert.equal(next.refused_unlogged, 999);
  assert.equal(next.latest_unlogged_request_id, "req_999");

  // At debug level each refusal the warning skips has its own line with its id.
  lines.length = 0;
  const verbose = refusalLog(log("debug"), () => now);
  for (const id of ["req_a", "req_b", "req_c"]) {
    verbose({ method: "POST", path: "/v1/messages", requestId: id });
  }
  assert.deepEqual(lines.map((l) => JSON.parse(l).request_id), ["req_a", "req_b", "req_c"]);
  assert.deepEqual(lines.map((l) => JSON.parse(l).level), ["warn", "debug", "debug"]);
});
