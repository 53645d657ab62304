// deno-lint-ignore-file no-console -- a release check reports on the console
/**
 * The release smoke test: `deno run --allow-all scripts/smoke/smoke.ts <ccp command…>`.
 * Starts a tiny Anthropic-compatible mock on 127.0.0.1, starts ccp (the binary, or any command
 * that runs it) on a free port against it, and checks `GET /health`, one `POST /v1/messages`
 * relayed, one translated for an OpenAI-compatible upstream and one count_tokens by the o200k
 * tokenizer: the last two load modules ccp imports lazily, which a binary holds only if deno
 * compile embedded them. Exits 0 when all answer as they must, 1 otherwise, always stopping what
 * it started.
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

/** The same answer as an OpenAI-compatible server gives it. */
const CHAT_ANSWER = {
  id: "chatcmpl-smoke",
  object: "chat.completion",
  created: 0,
  model: "smoke-upstream",
  choices: [{ index: 0, message: { role: "assistant", content: "pong" }, finish_reason: "stop" }],
  usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
};

const mock = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
  await req.text();
  const chat = new URL(req.url).pathname.endsWith("/chat/completions");
  return Response.json(chat ? CHAT_ANSWER : ANSWER);
});
const dir = await Deno.makeTempDir({ prefix: "ccp_smoke_" });
const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
const port = (probe.addr as Deno.NetAddr).port;
probe.close();
await Deno.writeTextFile(
  `${dir}/config.yaml`,
  `providers:\n  mock: { type: anthropic, base_url: "http://127.0.0.1:${mock.addr.port}", api_key: smoke-key-123 }\n` +
    `  oai: { type: openai, base_url: "http://127.0.0.1:${mock.addr.port}/v1", api_key: smoke-key-456 }\n` +
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
  const ask = (path: string, body: Record<string, unknown>) =>
    fetch(`${base}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ messages: [{ role: "user", content: "ping" }], ...body }),
    });
  const translated = await ask("/v1/messages", { model: "oai/smoke-upstream", max_tokens: 10 });
  const reply = await translated.json();
  if (translated.status !== 200 || reply.content?.[0]?.text !== "pong") {
    throw new Error(
      `the translated request answered ${translated.status}: ${JSON.stringify(reply)}`,
    );
  }
  console.log("POST /v1/messages translated for an OpenAI-compatible upstream: ok");
  const counted = await ask("/v1/messages/count_tokens", { model: "oai/smoke-upstream" });
  const count = await counted.json();
  if (counted.status !== 200 || !(count.input_tokens > 0)) {
    throw new Error(`count_tokens answered ${counted.status}: ${JSON.stringify(count)}`);
  }
  console.log(
    `POST /v1/messages/count_tokens with the o200k tokenizer: ${count.input_tokens} tokens`,
  );
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
