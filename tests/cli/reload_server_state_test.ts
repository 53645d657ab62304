/**
 * What a reload of a saved config file keeps of a provider's state: what belongs to the server and
 * key (an open circuit, the requests in a rate window, a budget's spend, the context an Ollama
 * said) stays with them when the provider is renamed, and stays behind when the name is pointed at
 * another server or given other keys. Each test saves the file and waits for the reload's own
 * line, as `ccp serve` says it.
 */

import assert from "node:assert/strict";
import { postMessages } from "../helpers/ccp.ts";
import { startRecordingUpstream } from "../helpers/recording_upstream.ts";
import { startSmallContextOllama } from "../mocks/ollama_api.ts";
import { type Server, withServed } from "./saved_reload.ts";

const KEY = "sk-gw-0123456789abcdef";

/** Where a request goes when the provider under test is passed over: a healthy server. */
const spare = startRecordingUpstream();
// Ended with the module's last test.
const lastTest = () => spare.close();

/** Provider `id` at `baseUrl`, then a spare server: the default route tries `id` first. */
function yaml(id: string, baseUrl: string, extra = "", key = KEY): string {
  return `providers:\n  ${id}:\n    type: anthropic\n    base_url: ${baseUrl}\n` +
    `    api_key: ${key}\n    max_retries: 0\n${extra}` +
    `  spare:\n    type: anthropic\n    base_url: ${spare.url}\n    api_key: ${KEY}\n` +
    `routes:\n  default: [${id}/glm-5, spare/glm-5]\n`;
}

const hello = { model: "glm-5", max_tokens: 100, messages: [{ role: "user", content: "hi" }] };

async function ask(server: Server): Promise<number> {
  const res = await postMessages(server.url, hello);
  await res.body?.cancel();
  return res.status;
}

async function health(server: Server) {
  const res = await fetch(`${server.url}/health`);
  return (await res.json()).resilience as {
    providers: Record<string, { limiter: { inWindow: number } }>;
    targets: Record<string, { state: string }>;
  };
}

/** An upstream answering 500 to everything: the provider keeps failing. */
function startBroken() {
  return startRecordingUpstream(() =>
    Response.json({ type: "error", error: { type: "api_error", message: "down" } }, {
      status: 500,
    })
  );
}

/** Three 500s (each request answered by the spare): the default threshold opens `id`'s circuit. */
async function openCircuit(server: Server, id: string): Promise<void> {
  for (let i = 0; i < 3; i++) assert.equal(await ask(server), 200);
  assert.equal((await health(server)).targets[`${id}/glm-5`]?.state, "open");
}

Deno.test("a base_url fixed by a save is tried at once, not refused by the old server's open circuit", async () => {
  const broken = startBroken();
  const fixed = startRecordingUpstream();
  try {
    await withServed(yaml("gw", broken.url), async (server, save) => {
      await openCircuit(server, "gw");
      assert.match(await save(yaml("gw", fixed.url)), /provider gw: now anthropic at/);
      assert.equal(await ask(server), 200);
      assert.equal(fixed.bodies.length, 1, "the fixed server is asked first");
    });
  } finally {
    await broken.close();
    await fixed.close();
  }
});

Deno.test("a key changed by a save is tried at once, not refused by the circuit the old key's failures opened", async () => {
  // A gateway answering a wrong key with a 500 (as some do): the circuit opened on the old key.
  const gateway = startRecordingUpstream(() => undefined);
  const answers: number[] = [];
  const server500 = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const ok = req.headers.get("x-api-key") === "sk-gw-fixed-0123456789";
    answers.push(ok ? 200 : 500);
    return ok
      ? fetch(`${gateway.url}/v1/messages`, { method: "POST", body: req.body })
      : Response.json({ type: "error", error: { type: "api_error", message: "bad key" } }, {
        status: 500,
      });
  });
  const url = `http://127.0.0.1:${server500.addr.port}`;
  try {
    await withServed(yaml("gw", url), async (server, save) => {
      await openCircuit(server, "gw");
      assert.match(await save(yaml("gw", url, "", "sk-gw-fixed-0123456789")), /keys changed/);
      assert.equal(await ask(server), 200);
      assert.deepEqual(answers, [500, 500, 500, 200]);
    });
  } finally {
    await server500.shutdown();
    await gateway.close();
  }
});

Deno.test("a provider renamed by a save keeps its server's open circuit", async () => {
  const broken = startBroken();
  try {
    await withServed(yaml("old", broken.url), async (server, save) => {
      await openCircuit(server, "old");
      assert.match(await save(yaml("new", broken.url)), /provider new added/);
      // Passed over for its open circuit, as before the rename: the server was not asked again.
      assert.equal(await ask(server), 200);
      assert.equal(broken.bodies.length, 3);
      assert.equal((await health(server)).targets["new/glm-5"]?.state, "open");
    });
  } finally {
    await broken.close();
  }
});

Deno.test("a provider renamed by a save keeps the requests of its rate window", async () => {
  const up = startRecordingUpstream();
  const limit = "    rate_limit: { requests: 3, window: 60s }\n";
  try {
    await withServed(yaml("old", up.url, limit), async (server, save) => {
      assert.equal(await ask(server), 200);
      assert.equal(await ask(server), 200);
      assert.match(await save(yaml("new", up.url, limit)), /provider new added/);
      assert.equal(await ask(server), 200);
      // Three sent in the window, under either name: the next would wait, not go at once.
      assert.equal((await health(server)).providers.new?.limiter.inWindow, 3);
    });
  } finally {
    await up.close();
  }
});

Deno.test("a provider renamed by a save and then back keeps the requests of its rate window", async () => {
  const up = startRecordingUpstream();
  const limit = "    rate_limit: { requests: 5, window: 60s }\n";
  try {
    await withServed(yaml("old", up.url, limit), async (server, save) => {
      assert.equal(await ask(server), 200);
      assert.match(await save(yaml("new", up.url, limit)), /provider new added/);
      assert.equal(await ask(server), 200);
      assert.match(await save(yaml("old", up.url, limit)), /provider old added/);
      assert.equal(await ask(server), 200);
      // Three sent in the window under one name or the other, not the old name's one before.
      assert.equal((await health(server)).providers.old?.limiter.inWindow, 3);
    });
  } finally {
    await up.close();
  }
});

Deno.test("a provider pointed at another server by a save starts that server's rate window afresh", async () => {
  const one = startRecordingUpstream();
  const other = startRecordingUpstream();
  try {
    await withServed(
      yaml("gw", one.url, "    rate_limit: { requests: 2, window: 60s }\n"),
      async (server, save) => {
        assert.equal(await ask(server), 200);
        assert.equal(await ask(server), 200);
        const moved = yaml("gw", other.url, "    rate_limit: { requests: 5, window: 60s }\n");
        assert.match(await save(moved), /provider gw: limits changed, now anthropic/);
        assert.equal(await ask(server), 200);
        // The other server's limit, counting only what was sent to it.
        assert.equal((await health(server)).providers.gw?.limiter.inWindow, 1);
      },
    );
  } finally {
    await one.close();
    await other.close();
  }
});

/** Which provider answered (`x-ccp-provider`), the answer read to its end. */
async function answeredBy(server: Server): Promise<string | null> {
  const res = await postMessages(server.url, hello);
  assert.equal(res.status, 200);
  await res.text();
  return res.headers.get("x-ccp-provider");
}

Deno.test("a provider renamed by a save, its budget renamed with it, keeps the budget's spend", async () => {
  const up = startRecordingUpstream();
  // Each answer counts 6 tokens (5 in, 1 out): two spend the budget.
  const budget = (id: string) => `budgets:\n  - { target: ${id}, tokens: 10, per: day }\n`;
  try {
    await withServed(budget("old") + yaml("old", up.url), async (server, save) => {
      assert.equal(await answeredBy(server), "old");
      assert.equal(await answeredBy(server), "old");
      assert.equal(await answeredBy(server), "spare", "the budget is spent");
      assert.match(await save(budget("new") + yaml("new", up.url)), /provider new added/);
      assert.equal(await answeredBy(server), "spare", "still spent under the new name");
      assert.equal(up.bodies.length, 2);
    });
  } finally {
    await up.close();
  }
});

/** The short-context notes of the status page, by provider. */
async function contextNotes(server: Server): Promise<string[]> {
  const state = await (await fetch(`${server.url}/ui/state`)).json();
  return ((state.contextWarnings ?? []) as string[]).map((n) => n.slice(0, n.indexOf("/")));
}

Deno.test("an Ollama provider renamed by a save keeps its short context: still noted, not warned of again", async () => {
  const ollama = startSmallContextOllama();
  const local = (id: string) =>
    `providers:\n  ${id}:\n    preset: ollama\n    base_url: ${ollama.url}\n` +
    `routes:\n  default: ${id}/qwen3-coder\n`;
  const warnings: string[] = [];
  let warned = () => {};
  const firstWarning = new Promise<void>((resolve) => warned = resolve);
  try {
    await withServed(local("ollama"), async (server, save) => {
      const hi = { ...hello, model: "qwen3-coder" };
      await (await postMessages(server.url, hi)).text();
      await firstWarning;
      assert.deepEqual(await contextNotes(server), ["ollama"]);
      assert.match(await save(local("box")), /provider box added/);
      // Known at once under the new name: the same Ollama said it.
      assert.deepEqual(await contextNotes(server), ["box"]);
      await (await postMessages(server.url, hi)).text();
      // Said once per server and model, whatever the provider is called.
      assert.equal(warnings.length, 1, warnings.join("\n"));
      assert.match(
        warnings[0]!,
        /provider "ollama": Ollama runs qwen3-coder with a context of 4096/,
      );
    }, {
      onContextWarning: (line) => {
        warnings.push(line);
        warned();
      },
    });
  } finally {
    await ollama.close();
  }
});

Deno.test("(the spare server stops)", async () => {
  await lastTest();
});
