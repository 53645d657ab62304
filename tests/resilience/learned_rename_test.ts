/**
 * A reload that renames a provider (`providers.old` becomes `providers.new`, the same base_url and
 * key, the routes following) keeps what its server was found to refuse: the lessons are kept by
 * server, not by name, so the first request after the reload costs no refused round trip.
 */

import assert from "node:assert/strict";
import { postMessages, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { invalidRequest, startRecordingUpstream } from "../helpers/recording_upstream.ts";

type Obj = Record<string, unknown>;

/** An Anthropic-compatible server (not Anthropic) answering 400 to what `refuses` names. */
function startServer(refuses: (body: Obj) => string | undefined) {
  return startRecordingUpstream((body) => {
    const refusal = refuses(body);
    return refusal === undefined ? undefined : invalidRequest(refusal);
  });
}

const config = (id: string, baseUrl: string) =>
  testConfig({
    providers: [provider(id, { baseUrl, apiKeys: ["sk-gw-0123456789abcdef"], maxRetries: 0 })],
    routes: { default: `${id}/glm-5` },
  });

async function renamed(
  refuses: (body: Obj) => string | undefined,
  request: Obj,
): Promise<{ before: Obj[]; after: Obj[]; lines: string[][] }> {
  const up = startServer(refuses);
  const ccp = startCcp(config("old", up.url));
  const ask = async () => {
    const before = up.bodies.length;
    const res = await postMessages(ccp.url, request);
    assert.equal(res.status, 200, await res.clone().text());
    await res.body?.cancel();
    return up.bodies.slice(before);
  };
  try {
    // The lines about a re-send, before the reload and after it.
    const resends = () => ccp.logs.filter((l) => l.includes("sent again"));
    const before = await ask();
    const linesBefore = resends();
    ccp.setConfig(config("new", up.url));
    const after = await ask();
    return { before, after, lines: [linesBefore, resends().slice(linesBefore.length)] };
  } finally {
    await ccp.close();
    await up.close();
  }
}

Deno.test("a parameter the server refused under the old name is left out under the new one at once", async () => {
  const { before, after, lines } = await renamed(
    (b) => b.thinking !== undefined ? "thinking: Extra inputs are not permitted" : undefined,
    {
      model: "claude-sonnet-4-5",
      max_tokens: 2000,
      thinking: { type: "enabled", budget_tokens: 1024 },
      messages: [{ role: "user", content: "hi" }],
    },
  );
  assert.deepEqual(before.map((b) => b.thinking !== undefined), [true, false]);
  assert.deepEqual(after.map((b) => b.thinking !== undefined), [false], "no refused round trip");
  assert.equal(lines[0]!.length, 1);
  assert.deepEqual(lines[1], []);
});

Deno.test("thinking the server refused under the old name is left out under the new one at once", async () => {
  const elsewhere = { type: "thinking", thinking: "made elsewhere", signature: "sig-elsewhere" };
  const signed = (b: Obj) =>
    JSON.stringify(b.messages).includes("sig-elsewhere")
      ? "messages.1.content.0: Invalid `signature` in `thinking` block"
      : undefined;
  const { before, after, lines } = await renamed(signed, {
    model: "claude-sonnet-4-5",
    max_tokens: 2000,
    messages: [
      { role: "user", content: "hi" },
      { role: "assistant", content: [elsewhere, { type: "text", text: "hello" }] },
      { role: "user", content: "and now?" },
    ],
  });
  assert.equal(before.length, 2, "refused once, then sent without it");
  assert.equal(after.length, 1, "no refused round trip");
  assert.equal(signed(after[0]!), undefined);
  // The one re-send is said once, naming the target; none after the reload.
  assert.equal(lines[0]!.length, 1, lines[0]!.join(""));
  assert.match(
    lines[0]![0]!,
    /WARN {2}provider "old" \(model glm-5\) refused a thinking signature made elsewhere: sent again without the history's thinking blocks\n$/,
  );
  assert.deepEqual(lines[1], []);
});
