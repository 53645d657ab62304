// deno-lint-ignore-file no-console -- a release check reports on the console
/**
 * The release smoke test: `deno run --allow-all scripts/smoke/smoke.ts <ccp command…>`.
 * Starts a tiny Anthropic-compatible mock on 127.0.0.1, starts ccp (the binary, or any command
 * that runs it) on a free port against it, and checks `GET /health` and one `POST /v1/messages`.
 * Exits 0 when both answer as they must, 1 otherwise, always stopping what it started.
 */

const command = Deno.args;
if (command.length === 0) {
  console.error("usage: smoke.ts <ccp binary or command…>");
  Deno.exit(2);
}

const ANSWER = {
  id: "msg_smoke",
  type: "message",
  role: "assistant",
  model: "smoke-upstream",
  content: [{ type: "text", text: "pong" }],
  stop_reason: "end_turn",
  stop_sequence: null,
  usage: { input_tokens: 3, output_tokens: 1 },
};

const mock = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
  await req.text();
  return Response.json(ANSWER);
});
const dir = await Deno.makeTempDir({ prefix: "ccp_smoke_" });
const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
const port = (probe.addr as Deno.NetAddr).port;
probe.close();
await Deno.writeTextFile(
  `${dir}/config.yaml`,
  `providers:\n  mock: { type: anthropic, base_url: "http://127.0.0.1:${mock.addr.port}", api_key: smoke-key-123 }\n` +
    "routes:\n  default: mock/smoke-upstream\n",
);
const child = new Deno.Command(command[0]!, {
  args: [...command.slice(1), "serve", "--config", `${dir}/config.yaml`, "--port", String(port)],
  cwd: dir,
  stdin: "null",
  stdout: "inherit",
  stderr: "inherit",
}).spawn();

let code = 1;
try {
  const base = `http://127.0.0.1:${port}`;
  let health: Response | undefined;
  for (let i = 0; i < 100 && !health; i++) {
    health = await fetch(`${base}/health`).catch(() => undefined);
    if (!health) await new Promise((r) => setTimeout(r, 100));
  }
  if (!health || health.status !== 200) throw new Error("GET /health did not answer 200");
  console.log("GET /health:", JSON.stringify(await health.json()));
  const res = await fetch(`${base}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      model: "claude-haiku-4-5",
      max_tokens: 10,
      messages: [{ role: "user", content: "ping" }],
    }),
  });
  const message = await res.json();
  if (
    res.status !== 200 || message.content?.[0]?.text !== "pong" ||
    message.model !== "claude-haiku-4-5"
  ) {
    throw new Error(`POST /v1/messages answered ${res.status}: ${JSON.stringify(message)}`);
  }
  console.log("POST /v1/messages through the mock: ok");
  code = 0;
} catch (error) {
  console.error(`smoke test failed: ${error instanceof Error ? error.message : error}`);
} finally {
  try {
    child.kill("SIGTERM");
  } catch {
    // Already gone.
  }
  await child.status;
  await mock.shutdown();
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}
Deno.exit(code);
