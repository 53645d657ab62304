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
  note({ method: "POST", path: "/v1/messages", userAgent: "claude-cli/2.1.330 (external, cli)" });
  note({ method: "POST", path: "/v1/messages" });
  now += 30_000;
  note({ method: "GET", path: "/v1/models" });
  assert.equal(lines.length, 1);
  assert.match(
    lines[0]!,
    /Refused POST \/v1\/messages \(claude-cli\/2\.1\.330 \(external, cli\)\)/,
  );
  now += 31_000;
  note({ method: "GET", path: "/v1/models\u001b[2J", userAgent: "x\ny" });
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
    note({ method: "POST", path: "/v1/messages", headers: new Headers(headers) });
    now += 61_000;
    const line = lines.at(-1)!;
    assert.ok(line.includes(`missing or wrong ccp token (${said}`), line);
    assert.doesNotMatch(line, /SECRET/);
  }
});
