/**
 * Encrypted reasoning goes back only to the server and model that made it, but the encryption is
 * the account's: a reload that gives the provider another account's key at the same server sends
 * reasoning it cannot decrypt. OpenAI answers 400 `invalid_encrypted_content` ("The encrypted
 * content … could not be verified."), on every later turn of the session, since Claude Code sends
 * the history back each time. ccp sends the request again without the reasoning the server
 * refused, and leaves it out from then on. (Another server is told apart by the signature's server
 * tag, and gets none of it: tests/cli/reload_reasoning_test.ts.)
 */

import assert from "node:assert/strict";
import { postMessages, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { startAccountResponses } from "../mocks/responses_wire.ts";

type Obj = Record<string, unknown>;

/** A Responses server whose accounts are its keys: each decrypts only its own reasoning. */
function startServer() {
  return startAccountResponses((req) =>
    (req.headers.get("authorization") ?? "").replace(/^Bearer sk-/, "")
  );
}

const config = (baseUrl: string, key: string) =>
  testConfig({
    providers: [
      provider("oai-moved", {
        type: "openai_responses",
        baseUrl,
        authHeader: "bearer",
        apiKeys: [key],
        maxRetries: 0,
      }),
    ],
    routes: { default: "oai-moved/gpt-5.5" },
  });

/** One turn: the history so far, then `prompt`; returns the assistant message answered. */
async function turn(url: string, history: Obj[], prompt: string): Promise<Obj> {
  history.push({ role: "user", content: prompt });
  const res = await postMessages(url, {
    model: "claude-sonnet-4-5",
    max_tokens: 4000,
    thinking: { type: "enabled", budget_tokens: 2000 },
    messages: history,
  });
  const answer = await res.json() as Obj;
  assert.equal(res.status, 200, JSON.stringify(answer));
  const message = { role: "assistant", content: answer.content };
  history.push(message);
  return message;
}

const reasoningSent = (body: Obj) =>
  (body.input as Obj[]).filter((i) => i.type === "reasoning").map((i) => i.encrypted_content);

Deno.test("a Responses provider given another account's key mid-session: the old account's reasoning is left out, the new one's goes back", async () => {
  const up = startServer();
  const ccp = startCcp(config(up.url, "sk-acct1"));
  try {
    const history: Obj[] = [];
    await turn(ccp.url, history, "one");
    await turn(ccp.url, history, "two");
    assert.deepEqual(reasoningSent(up.bodies[1]!), ["acct1:1"]);
    ccp.setConfig(config(up.url, "sk-acct2"));
    // Refused once for acct1's reasoning, then answered without it.
    await turn(ccp.url, history, "three");
    assert.equal(up.refused(), 1);
    // The re-send is one line of the log, naming the provider and model and what changed.
    const resent = ccp.logs.filter((l) => l.includes("sent again"));
    assert.equal(resent.length, 1, resent.join(""));
    assert.match(
      resent[0]!,
      /WARN {2}provider "oai-moved" \(model gpt-5\.5\) encrypted reasoning made elsewhere could not be decrypted: sent again without the history's reasoning\n$/,
    );
    assert.deepEqual(up.bodies.slice(2).map(reasoningSent), [["acct1:1", "acct1:2"], []]);
    // The next turn costs no refusal: acct1's reasoning stays out, acct2's own goes back.
    await turn(ccp.url, history, "four");
    assert.equal(up.refused(), 1);
    assert.deepEqual(reasoningSent(up.bodies.at(-1)!), ["acct2:4"]);
  } finally {
    await ccp.close();
    await up.close();
  }
});
