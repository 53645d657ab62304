/**
 * Keys quoted in another form: an upstream that repeats the provider's key base64-encoded (in a
 * Basic credential it rebuilt, at any offset), URL-encoded, with JSON's `\/`, or cut into pieces,
 * has each form scrubbed from the client's answer, ccp's log, the status page's data, `/health`
 * and `/metrics`.
 */

import assert from "node:assert/strict";
import { postMessages, startCcp } from "../helpers/ccp.ts";
import { testConfig } from "../helpers/config.ts";
import {
  anthropicHead,
  frame,
  messageBody,
  providerOf,
  sse,
  startUpstream,
} from "./creds_helpers.ts";

// No known key shape, and characters that URL and JSON encodings change.
const KEY = "Zq7/Wk+u2Lr9=Vd4Hx1c8Pn3/Ty6Gb0Mf5Rs2Je8";

// The key is ASCII, so btoa reads it as its bytes.
const base64 = (text: string) => btoa(text);
const urlSafe = (text: string) => base64(text).replace(/\+/g, "-").replace(/\//g, "_");

/** Each form an upstream may echo the key in, and a text that quotes it so. */
const FORMS: Record<string, string> = {
  "Basic credential": `Authorization: Basic ${base64(`user:${KEY}`)}`,
  "base64 at offset 1": `token ${base64(`x${KEY}`)} rejected`,
  "base64 at offset 2": `token ${base64(`xy${KEY}`)} rejected`,
  "base64url": `jwt ${urlSafe(`{"k":"${KEY}"}`)}`,
  "URL-encoded": `GET /v1?key=${encodeURIComponent(KEY)} denied`,
  "URL-encoded in lower case": `key=${
    encodeURIComponent(KEY).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase())
  }`,
  "cut in two": `key "${KEY.slice(0, 20)}" "${KEY.slice(20)}" is revoked`,
};

// What of each form shows the key (its middle: an encoding's edges depend on their neighbours).
const MARKERS = [
  ...["Basic credential", "base64 at offset 1", "base64 at offset 2", "base64url"].map((name) =>
    FORMS[name]!.split(" ").find((word) => word.length > 30)!.slice(4, -4)
  ),
  encodeURIComponent(KEY).slice(4, -4),
  FORMS["URL-encoded in lower case"]!.slice("key=".length + 4, -4),
  KEY.slice(0, 20),
  KEY.slice(20),
  // Between the key's slashes: plain, after JSON's `\/`, in any quoting of either.
  KEY.split("/")[1]!,
];

function leaks(text: string): string[] {
  return MARKERS.filter((marker) => text.includes(marker));
}

Deno.test("a key the upstream quotes encoded or in pieces is scrubbed wherever ccp shows the error", async (t) => {
  const bodies: Record<string, () => Response> = Object.fromEntries(
    Object.entries(FORMS).map(([name, form]) => [
      name,
      () => Response.json({ error: { message: form } }, { status: 500 }),
    ]),
  );
  // Not JSON: the text is shown as it came, escapes and all.
  bodies["an error page quoting its JSON"] = () =>
    new Response(`<pre>{"api_key": "${KEY.replaceAll("/", "\\/")}"}</pre>`, {
      status: 502,
      headers: { "content-type": "text/html" },
    });
  for (const [name, answer] of Object.entries(bodies)) {
    await t.step(name, async () => {
      const upstream = startUpstream(answer);
      const ccp = startCcp(testConfig({
        providers: [providerOf("anthropic", upstream.url, KEY)],
        routes: { default: "up/m" },
      }));
      try {
        const res = await postMessages(ccp.url, messageBody());
        const answerText = await res.text();
        assert.ok(res.status >= 500, answerText);
        assert.match(answerText, /\[redacted\]/, answerText);
        assert.deepEqual(leaks(answerText), [], answerText);
        assert.deepEqual(leaks(ccp.logs.join("\n")), [], ccp.logs.join("\n"));
        for (const path of ["/ui/state", "/health", "/metrics"]) {
          const shown = await (await fetch(`${ccp.url}${path}`)).text();
          assert.deepEqual(leaks(shown), [], `${path}: ${shown}`);
        }
      } finally {
        await ccp.close();
        await upstream.close();
      }
    });
  }
});

Deno.test("a key quoted encoded in a mid-stream error is scrubbed on every protocol", async (t) => {
  const said = `${FORMS["Basic credential"]}, ${FORMS["cut in two"]}`;
  const streams: Record<"anthropic" | "openai", string[]> = {
    anthropic: [
      ...anthropicHead(),
      frame("error", { type: "error", error: { type: "api_error", message: said } }),
    ],
    openai: [
      `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: "hi" } }] })}\n\n`,
      `data: ${JSON.stringify({ error: { message: said } })}\n\n`,
    ],
  };
  for (const kind of ["anthropic", "openai"] as const) {
    await t.step(kind, async () => {
      const upstream = startUpstream(() => sse(streams[kind]));
      const ccp = startCcp(testConfig({
        providers: [providerOf(kind, upstream.url, KEY)],
        routes: { default: "up/m" },
      }));
      try {
        const res = await postMessages(ccp.url, messageBody({ stream: true }));
        const text = await res.text();
        assert.match(text, /event: error/, text);
        assert.match(text, /Basic dXNlcjp\[redacted\]/, text);
        assert.deepEqual(leaks(text), [], text);
        assert.deepEqual(leaks(ccp.logs.join("\n")), [], ccp.logs.join("\n"));
      } finally {
        await ccp.close();
        await upstream.close();
      }
    });
  }
});

Deno.test("a client's own credential quoted encoded by a passthrough upstream is scrubbed everywhere", async () => {
  const token = "ccp-token-0123456789abcdef";
  const credential = "Kp2/Vw8+Nr4=Tz6Bx0Lm3/Hq5Dc7Fj9Sg1Ya";
  const basic = btoa(`client:${credential}`);
  const upstream = startUpstream(() =>
    Response.json({ error: { message: `rejected Basic ${basic}` } }, { status: 500 })
  );
  const ccp = startCcp(testConfig({
    providers: [
      providerOf("anthropic", upstream.url, "", { apiKeys: [], auth: "passthrough" }),
    ],
    routes: { default: "up/m" },
    authToken: token,
  }));
  const marker = basic.slice(8, -4);
  try {
    const headers = { authorization: `Bearer ${token}`, "x-api-key": credential };
    const res = await postMessages(ccp.url, messageBody(), headers);
    const text = await res.text();
    assert.match(text, /rejected Basic /, text);
    assert.ok(!text.includes(marker), text);
    assert.ok(!ccp.logs.join("\n").includes(marker), ccp.logs.join("\n"));
    for (const path of ["/ui/state", "/health"]) {
      const shown = await (await fetch(`${ccp.url}${path}`, { headers })).text();
      assert.ok(!shown.includes(marker), `${path}: ${shown}`);
    }
  } finally {
    await ccp.close();
    await upstream.close();
  }
});
