/**
 * Holds per client credential for `auth: passthrough` targets: a Claude plan's limit is
 * remembered until it lifts (so later turns go straight to the fallback), per credential, bounded,
 * and never refuses a request on its own.
 */

import assert from "node:assert/strict";
import { UpstreamError } from "../../src/core/errors.ts";
import {
  CredentialHolds,
  type CredentialRef,
  MAX_MODELS_PER_CREDENTIAL,
} from "../../src/resilience/credential_holds.ts";
import { Dispatcher, type DispatchTarget } from "../../src/resilience/dispatcher.ts";
import { ResilienceRegistry } from "../../src/resilience/registry.ts";
import { credentialRef } from "../../src/upstream/http/headers.ts";
import { FakeClock } from "./fake_clock.ts";
import { h, type Ok, provider, scripted, type Step } from "./helpers.ts";

const NOW = Date.UTC(2026, 0, 1);
const HOUR = 3_600_000;
const ALICE: CredentialRef = { id: "a11ce", label: "client credential (…lice)" };
const BOB: CredentialRef = { id: "b0b", label: "client credential (…-bob)" };

/** A Claude plan's refusal: the 5-hour limit spent, resetting in `inMs`. */
function planLimit(inMs: number, claim = "five_hour"): Step {
  const reset = String(Math.round((NOW + inMs) / 1000));
  return {
    status: 429,
    headers: h({
      "anthropic-ratelimit-unified-status": "rejected",
      "anthropic-ratelimit-unified-reset": reset,
      "anthropic-ratelimit-unified-representative-claim": claim,
    }),
    bodyText: '{"type":"error","error":{"type":"rate_limit_error","message":"rate limited"}}',
    relayHeaders: { "anthropic-ratelimit-unified-status": "rejected" },
  };
}

const claude = provider("claude", { type: "anthropic", auth: "passthrough", fallbackOn: [429] });
const keyed = provider("keyed", { type: "anthropic", apiKeys: ["sk-ant-api-0123456789abcd"] });
const zai = provider("zai");
const to = (p: typeof claude, model: string): DispatchTarget => ({ provider: p, model });

function setup(script: Record<string, Step[]>) {
  const clock = new FakeClock(NOW);
  const registry = new ResilienceRegistry({ clock });
  const { calls, attempt } = scripted(script);
  const logs: string[] = [];
  const run = (chain: DispatchTarget[], credential?: CredentialRef) => {
    const dispatcher = new Dispatcher<Ok>({
      registry,
      attempt,
      clock,
      backoff: { random: () => 0 },
      ...(credential ? { credential } : {}),
    });
    return clock.run(dispatcher.dispatch(chain, new AbortController().signal));
  };
  return { clock, calls, run, registry, logs };
}

async function served(run: Promise<{ target: DispatchTarget; done: () => void }>) {
  const got = await run;
  got.done();
  return got.target.provider.id;
}

Deno.test("a plan's limit is held per credential until it lifts, then the plan is tried again", async (t) => {
  const { run, calls, clock } = setup({ claude: [planLimit(2 * HOUR), "ok"], zai: ["ok"] });
  const chain = [to(claude, "claude-sonnet-4-5"), to(zai, "glm-4.7")];
  await t.step("the 429 moves on to the fallback", async () => {
    assert.equal(await served(run(chain, ALICE)), "zai");
    assert.deepEqual(calls.splice(0), ["claude/claude-sonnet-4-5", "zai/glm-4.7"]);
  });
  await t.step("later turns of that credential go straight to the fallback", async () => {
    assert.equal(await served(run(chain, ALICE)), "zai");
    // The whole plan is spent (the 5-hour limit): its other models are skipped too.
    assert.equal(
      await served(run([to(claude, "claude-opus-4-5"), to(zai, "glm-4.7")], ALICE)),
      "zai",
    );
    assert.deepEqual(calls.splice(0), ["zai/glm-4.7", "zai/glm-4.7"]);
  });
  await t.step("another client's credential is not held", async () => {
    assert.equal(await served(run(chain, BOB)), "claude");
    assert.deepEqual(calls.splice(0), ["claude/claude-sonnet-4-5"]);
  });
  await t.step("the hold is capped at 30 minutes: the plan is asked again then", async () => {
    await clock.advance(30 * 60_000);
    assert.equal(await served(run(chain, ALICE)), "claude");
    assert.deepEqual(calls.splice(0), ["claude/claude-sonnet-4-5"]);
  });
});

Deno.test("a held plan is still tried when nothing else answers", async (t) => {
  await t.step("a route whose only target is the plan always tries it", async () => {
    const { run, calls } = setup({ claude: [planLimit(HOUR)] });
    const chain = [to(claude, "claude-sonnet-4-5")];
    await assert.rejects(run(chain, ALICE), UpstreamError);
    const error = await run(chain, ALICE).then(() => assert.fail("served"), (e) => e);
    assert.ok(error instanceof UpstreamError);
    assert.deepEqual(calls, ["claude/claude-sonnet-4-5", "claude/claude-sonnet-4-5"]);
    // The error is the upstream's own refusal, in the shape every 429 has, with the plan's
    // headers for the client to show.
    assert.equal(error.status, 429);
    assert.equal(error.errorType, "rate_limit_error");
    assert.equal(error.extra.code, "model_cooldown");
    assert.equal(error.headers["anthropic-ratelimit-unified-status"], "rejected");
    assert.equal(error.headers["Retry-After"], "3600");
  });
  await t.step("when the fallback fails too, the held plan gets one more try", async () => {
    const { run, calls } = setup({
      claude: [planLimit(HOUR), "ok"],
      zai: ["ok", { status: 500 }],
    });
    const chain = [to(claude, "claude-sonnet-4-5"), to(zai, "glm-4.7")];
    assert.equal(await served(run(chain, ALICE)), "zai");
    calls.splice(0);
    // The limit lifted early (extra usage bought): the plan answers.
    assert.equal(await served(run(chain, ALICE)), "claude");
    assert.deepEqual(calls, ["zai/glm-4.7", "claude/claude-sonnet-4-5"]);
    calls.splice(0);
    // Its answer ended the hold.
    assert.equal(await served(run(chain, ALICE)), "claude");
    assert.deepEqual(calls, ["claude/claude-sonnet-4-5"]);
  });
});

Deno.test("a plan that refused in this very request is not asked again for its other model", async () => {
  const { run, calls } = setup({ claude: [planLimit(HOUR), "ok"], zai: [{ status: 500 }] });
  // Opus, then Sonnet on the same plan, then the fallback: the 5-hour limit binds both models.
  const chain = [to(claude, "claude-opus-4-5"), to(claude, "claude-sonnet-4-5"), to(zai, "m")];
  const error = await run(chain, ALICE).then(() => assert.fail("served"), (e) => e);
  assert.ok(error instanceof UpstreamError);
  assert.deepEqual(calls.filter((c) => c.startsWith("claude/")), ["claude/claude-opus-4-5"]);
});

Deno.test("a plan's two models and nothing else: its limit is answered as a 429 model_cooldown", async () => {
  const { run, calls } = setup({ claude: [planLimit(HOUR), "ok"] });
  const chain = [to(claude, "claude-opus-4-5"), to(claude, "claude-sonnet-4-5")];
  const error = await run(chain, ALICE).then(() => assert.fail("served"), (e) => e);
  assert.ok(error instanceof UpstreamError);
  assert.deepEqual(calls, ["claude/claude-opus-4-5"]);
  assert.equal(error.status, 429);
  assert.equal(error.extra.code, "model_cooldown");
  assert.equal(error.headers["anthropic-ratelimit-unified-status"], "rejected");
  // ccp asks the plan again after 30 minutes at most: the client need not wait longer.
  assert.equal(error.headers["Retry-After"], "1800");
});

Deno.test("which refusals are held, for which models, and how long", async (t) => {
  const chain = (model: string) => [to(claude, model), to(zai, "glm-4.7")];
  await t.step("a weekly limit of one model family holds that model only", async () => {
    const { run, calls } = setup({ claude: [planLimit(HOUR, "seven_day_opus"), "ok"] });
    assert.equal(await served(run(chain("claude-opus-4-5"), ALICE)), "zai");
    assert.equal(await served(run(chain("claude-sonnet-4-5"), ALICE)), "claude");
    assert.equal(await served(run(chain("claude-opus-4-5"), ALICE)), "zai");
    assert.deepEqual(calls, [
      "claude/claude-opus-4-5",
      "zai/glm-4.7",
      "claude/claude-sonnet-4-5",
      "zai/glm-4.7",
    ]);
  });
  await t.step("a 429 that says nothing of when is not held (a momentary throttle)", async () => {
    const { run, calls } = setup({ claude: [{ status: 429 }, "ok"] });
    assert.equal(await served(run(chain("m"), ALICE)), "zai");
    assert.equal(await served(run(chain("m"), ALICE)), "claude");
    assert.deepEqual(calls, ["claude/m", "zai/glm-4.7", "claude/m"]);
  });
  await t.step("a refused credential (401) is held for five minutes, for every model", async () => {
    const { run, calls, clock } = setup({ claude: [{ status: 401 }, "ok"] });
    assert.equal(await served(run(chain("a"), ALICE)), "zai");
    assert.equal(await served(run(chain("b"), ALICE)), "zai");
    await clock.advance(5 * 60_000);
    assert.equal(await served(run(chain("b"), ALICE)), "claude");
    assert.deepEqual(calls, ["claude/a", "zai/glm-4.7", "zai/glm-4.7", "claude/b"]);
  });
  await t.step("a 403 holds the model it refused only", async () => {
    const { run, calls } = setup({ claude: [{ status: 403 }, "ok"] });
    assert.equal(await served(run(chain("a"), ALICE)), "zai");
    assert.equal(await served(run(chain("b"), ALICE)), "claude");
    assert.deepEqual(calls, ["claude/a", "zai/glm-4.7", "claude/b"]);
  });
  await t.step("key-based targets and requests without a credential hold nothing", async () => {
    const { run, registry } = setup({ keyed: [{ status: 401 }, "ok"], claude: [planLimit(HOUR)] });
    await served(run([to(keyed, "m"), to(zai, "glm-4.7")], ALICE));
    await served(run(chain("m")));
    assert.equal(registry.credentials.size, 0);
  });
});

Deno.test("CredentialHolds keeps a bounded number of entries, the oldest dropped first", () => {
  const clock = new FakeClock(NOW);
  const holds = new CredentialHolds({ clock, maxEntries: 3 });
  const refused = { status: 401 };
  const verdict = { action: "next_target", cause: "auth" } as const;
  const who = (n: number): CredentialRef => ({ id: `c${n}`, label: "…" });
  for (let n = 0; n < 5; n++) holds.failed("claude", who(n), "m", refused, verdict);
  assert.equal(holds.size, 3);
  assert.equal(holds.holding("claude", who(0), "m"), undefined);
  assert.equal(holds.holding("claude", who(1), "m"), undefined);
  assert.equal(holds.holding("claude", who(4), "m")?.status, 401);
  // Another provider is another entry.
  assert.equal(holds.holding("other", who(4), "m"), undefined);
});

Deno.test("one credential holds at most MAX_MODELS_PER_CREDENTIAL models, every-model kept", () => {
  const clock = new FakeClock(NOW);
  const holds = new CredentialHolds({ clock });
  const alice: CredentialRef = { id: "alice", label: "…" };
  const auth = { action: "next_target", cause: "auth" } as const;
  holds.failed("claude", alice, "m", { status: 401 }, auth);
  // A client naming model after model, each refused with a 403 (held for that model only).
  for (let i = 0; i < MAX_MODELS_PER_CREDENTIAL * 10; i++) {
    holds.failed("claude", alice, `invented-${i}`, { status: 403 }, auth);
  }
  assert.ok(holds.holds <= MAX_MODELS_PER_CREDENTIAL, `${holds.holds} holds`);
  assert.equal(holds.holding("claude", alice, "any")?.status, 401, "the 401 of every model stays");
  const last = `invented-${MAX_MODELS_PER_CREDENTIAL * 10 - 1}`;
  assert.equal(holds.holding("claude", alice, last)?.status, 403, "the newest model hold stays");
});

Deno.test("credentialRef: a hash and a 4-character label, never the credential", async () => {
  const token = "sk-ant-oat01-secretsecretsecret-WXYZ";
  const ref = await credentialRef(new Headers({ authorization: `Bearer ${token}` }));
  assert.ok(ref);
  assert.match(ref.id, /^[0-9a-f]{32}$/);
  assert.equal(ref.label, "client credential (…WXYZ)");
  assert.ok(!JSON.stringify(ref).includes("secret"));
  const other = await credentialRef(new Headers({ authorization: `Bearer ${token}x` }));
  assert.notEqual(other?.id, ref.id);
  assert.equal(await credentialRef(new Headers({ "anthropic-version": "2023-06-01" })), undefined);
});
