/** What ccp loads ahead of the first request, from what the config's routes use. */

import assert from "node:assert/strict";
import { startServer } from "../../src/cli/serve.ts";
import { routeNeeds, scheduleWarmUp, WARM_UP_DELAY_MS } from "../../src/server/warm_up.ts";
import { loadedOnFirstUse, type Transport, type Transports } from "../../src/upstream/transport.ts";
import { testContext } from "../cli/helpers.ts";
import { provider, testConfig } from "../helpers/config.ts";

const PROVIDERS = [
  provider("anth"),
  provider("oai", { type: "openai" }),
  provider("gem", { type: "gemini" }),
];

const after = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Transports whose warm() calls are counted, by protocol. */
function countingTransports(): { transports: Transports; warmed: string[] } {
  const warmed: string[] = [];
  const fake = (type: string): Transport => ({
    send: () => Promise.reject(new Error("not sent in this test")),
    warm: () => {
      warmed.push(type);
      return Promise.resolve(true);
    },
  });
  return {
    transports: {
      anthropic: { send: () => Promise.reject(new Error("not sent")) },
      openai: fake("openai"),
      gemini: fake("gemini"),
    },
    warmed,
  };
}

Deno.test("routes that pass through need nothing ahead; a translated route or long_context needs counts", () => {
  const passthrough = routeNeeds(
    testConfig({ providers: PROVIDERS, routes: { default: "anth/m" } }),
  );
  assert.deepEqual([...passthrough.types], ["anthropic"]);
  assert.equal(passthrough.tokens, false);
  const aliased = routeNeeds(testConfig({
    providers: PROVIDERS,
    routes: { default: "anth/m" },
    aliases: { fast: ["anth/m", "gem/g"] },
  }));
  assert.deepEqual([...aliased.types].sort(), ["anthropic", "gemini"]);
  assert.equal(aliased.tokens, true);
  const longContext = routeNeeds(testConfig({
    providers: PROVIDERS,
    routes: { default: "anth/m", long_context: "anth/big" },
  }));
  assert.equal(longContext.tokens, true);
});

Deno.test("the warm-up loads the translators the routes use and the tokenizer, once, after its delay", async () => {
  const { transports, warmed } = countingTransports();
  let tokens = 0;
  const logs: string[] = [];
  const config = testConfig({
    providers: PROVIDERS,
    routes: { default: "oai/m", haiku: "anth/h" },
  });
  scheduleWarmUp(config, transports, {
    delayMs: 30,
    warmTokens: () => Promise.resolve(void tokens++),
    log: { debug: (line: string) => logs.push(line) } as never,
  });
  assert.deepEqual(warmed, [], "nothing before the delay");
  await after(120);
  assert.deepEqual(warmed, ["openai"]);
  assert.equal(tokens, 1);
  assert.match(
    logs.join("\n"),
    /^Loaded ahead of the first request: the openai translator, the o200k tokenizer \(\d+ ms\)$/,
  );
});

Deno.test("the warm-up's log names what could not load apart from what loaded", async () => {
  const logs: string[] = [];
  let logged: () => void = () => {};
  const done = new Promise<void>((resolve) => (logged = resolve));
  const transports: Transports = {
    // A module that cannot load (its first request will say why).
    openai: {
      send: () => Promise.reject(new Error("not sent")),
      warm: () => Promise.resolve(false),
    },
    gemini: {
      send: () => Promise.reject(new Error("not sent")),
      warm: () => Promise.resolve(true),
    },
  };
  scheduleWarmUp(
    testConfig({ providers: PROVIDERS, routes: { default: "oai/m", haiku: "gem/g" } }),
    transports,
    {
      delayMs: 0,
      // A tokenizer table that is missing: counts stay estimated.
      warmTokens: () => Promise.reject(new Error("cannot read the tokenizer table")),
      log: {
        debug: (line: string) => {
          logs.push(line);
          logged();
        },
      } as never,
    },
  );
  await done;
  assert.match(
    logs.join("\n"),
    /^Loaded ahead of the first request: the gemini translator \(\d+ ms\); could not load: the openai translator, the o200k tokenizer$/,
  );
});

Deno.test("a passthrough-only config warms nothing, and a cancelled warm-up never runs", async () => {
  const { transports, warmed } = countingTransports();
  let tokens = 0;
  const warmTokens = () => Promise.resolve(void tokens++);
  scheduleWarmUp(testConfig({ providers: PROVIDERS, routes: { default: "anth/m" } }), transports, {
    delayMs: 0,
    warmTokens,
  });
  const cancel = scheduleWarmUp(
    testConfig({ providers: PROVIDERS, routes: { default: "gem/g" } }),
    transports,
    { delayMs: 20, warmTokens },
  );
  cancel();
  await after(80);
  assert.deepEqual(warmed, []);
  assert.equal(tokens, 0);
});

Deno.test("a transport loaded on first use loads once, warmed or sent; a failed load is tried again", async () => {
  let loads = 0;
  let fail = true;
  const transport = loadedOnFirstUse(() => {
    loads++;
    if (fail) return Promise.reject(new Error("module missing"));
    return Promise.resolve({
      send: () => Promise.resolve({ ok: true, open: () => Promise.reject() }),
    });
  });
  // A failure is not the warm-up's to explain: the first request that needs the module does.
  assert.equal(await transport.warm!(), false);
  assert.equal(loads, 1);
  fail = false;
  assert.equal(await transport.warm!(), true);
  const sent = await transport.send({} as never);
  assert.equal(sent.ok, true);
  assert.equal(loads, 2, "loaded again after the failure, then kept");
});

Deno.test("a reload that ends while ccp stops schedules no warm-up", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_warm_up_" });
  try {
    await Deno.writeTextFile(
      `${dir}/c.yaml`,
      `server: { log_level: debug }
providers:
  oai: { type: openai, base_url: "http://127.0.0.1:9/v1" }
routes:
  default: oai/m
`,
    );
    const ctx = testContext(dir);
    const server = await startServer({ ctx, flags: { config: "c.yaml", port: 0 } });
    // The reload reads the config while the stop begins, then swaps it in.
    const reloaded = server.reload();
    await server.stop();
    assert.equal(await reloaded, true);
    await after(WARM_UP_DELAY_MS + 250);
    const log = ctx.io.stderr.join("");
    assert.match(log, /Config reloaded/);
    assert.doesNotMatch(log, /Loaded ahead of the first request/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
