// deno-lint-ignore-file no-console -- the runner reports its result on stdout
/**
 * Runs inside a network namespace with only loopback (tests/e2e/airgap_test.ts starts it): a
 * local OpenAI-compatible model (a mock, as llama.cpp or vLLM would be), `ccp serve` from source
 * as its own process, then a streamed request, a local count_tokens and `ccp check`. Prints one
 * JSON line with what each step saw.
 */

const ROOT = new URL("../../", import.meta.url).pathname;
const interfaces = new TextDecoder().decode(
  (await new Deno.Command("ip", { args: ["-o", "link"], stdout: "piped" }).output()).stdout,
).split("\n").filter(Boolean).map((line) => line.split(":")[1]!.trim());

const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
  `data: ${
    JSON.stringify({
      id: "c1",
      object: "chat.completion.chunk",
      model: "local",
      choices: [{ index: 0, delta, finish_reason: finish }],
    })
  }\n\n`;
const model = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
  await req.text();
  return new Response(
    chunk({ role: "assistant", content: "offline " }) + chunk({ content: "answer" }) +
      chunk({}, "stop") + "data: [DONE]\n\n",
    { headers: { "content-type": "text/event-stream" } },
  );
});

const dir = await Deno.makeTempDir({ prefix: "ccp_airgap_" });
await Deno.writeTextFile(
  `${dir}/config.yaml`,
  `providers:\n  local: { type: openai, base_url: "http://127.0.0.1:${model.addr.port}/v1" }\n` +
    "routes:\n  default: local/qwen3-coder\n",
);
const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
const port = (probe.addr as Deno.NetAddr).port;
probe.close();
const flags = ["run", "--allow-all", "--frozen", `--config=${ROOT}deno.json`, `${ROOT}src/main.ts`];
const started = performance.now();
const server = new Deno.Command(Deno.execPath(), {
  args: [...flags, "serve", "--config", `${dir}/config.yaml`, "--port", String(port)],
  cwd: dir,
  stdout: "null",
  stderr: "null",
}).spawn();
const result: Record<string, unknown> = { interfaces };
try {
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    const ok = await fetch(`${base}/health`).then((r) => r.body?.cancel().then(() => r.ok)).catch(
      () => false,
    );
    if (ok) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  result.startupMs = Math.round(performance.now() - started);
  const res = await fetch(`${base}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      model: "claude-sonnet-4-5",
      max_tokens: 50,
      stream: true,
      messages: [{ role: "user", content: "hi" }],
    }),
  });
  const sse = await res.text();
  result.stream = {
    status: res.status,
    text: [...sse.matchAll(/"text":"([^"]*)"/g)].map((m) => m[1]).join(""),
    ended: sse.includes("event: message_stop"),
  };
  const count = await fetch(`${base}/v1/messages/count_tokens`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      model: "claude-sonnet-4-5",
      messages: [{
        role: "user",
        content: "How many tokens are in this sentence, counted offline?",
      }],
    }),
  });
  result.countTokens = await count.json();
  const check = await new Deno.Command(Deno.execPath(), {
    args: [...flags, "check", "--config", `${dir}/config.yaml`],
    cwd: dir,
    stdout: "piped",
    stderr: "piped",
  }).output();
  result.check = { code: check.code, output: new TextDecoder().decode(check.stdout).slice(0, 400) };
} finally {
  server.kill("SIGTERM");
  await server.status;
  await model.shutdown();
  await Deno.remove(dir, { recursive: true });
}
console.log(JSON.stringify(result));
