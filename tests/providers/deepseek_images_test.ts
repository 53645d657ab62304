/**
 * DeepSeek's Flash model reads images since V4.1 (`deepseek-flash`, which also answers the retired
 * `deepseek-v4-flash-vision-exp` name); its other models are text only. Before, the `deepseek`
 * preset and dialect replaced every image with a note, so a screenshot never reached a model that
 * could read it.
 */

import assert from "node:assert/strict";
import { configFromYaml } from "../../src/config/from_yaml.ts";
import { settingsFor } from "../../src/config/settings_merge.ts";
import type { MessagesRequest } from "../../src/protocols/anthropic.ts";
import { OPENAI_DIALECTS } from "../../src/translate/openai_chat/dialects.ts";
import { toOpenAIChatRequest } from "../../src/translate/openai_chat/request.ts";
import { applyModelSettings, IMAGE_PLACEHOLDER } from "../../src/upstream/model_settings.ts";
import { openAITransport } from "../../src/upstream/openai_chat/transport.ts";

const IMAGE = { type: "image", source: { type: "base64", media_type: "image/png", data: "AAAA" } };
const REQUEST = {
  model: "m",
  max_tokens: 100,
  messages: [{ role: "user", content: [{ type: "text", text: "what is this?" }, IMAGE] }],
} as MessagesRequest;

const READS_IMAGES = ["deepseek-flash", "deepseek-v4-flash-vision-exp"];
const TEXT_ONLY = ["deepseek-v4-pro", "deepseek-v4-flash", "deepseek-reasoner"];

function chatParts(model: string, dialect = OPENAI_DIALECTS.deepseek): string {
  const chat = toOpenAIChatRequest(REQUEST, { dialect, model, provider: "ds" });
  return JSON.stringify(chat.messages);
}

Deno.test("deepseek dialect: the Flash model gets images, the others a note", () => {
  for (const model of READS_IMAGES) {
    const sent = chatParts(model);
    assert.ok(
      sent.includes('"image_url":{"url":"data:image/png;base64,AAAA"}'),
      `${model}: ${sent}`,
    );
  }
  for (const model of TEXT_ONLY) {
    const sent = chatParts(model);
    assert.ok(!sent.includes("image_url"), `${model}: ${sent}`);
    assert.match(sent, /image omitted: provider \\"ds\\" \(model deepseek-/);
  }
});

function preset(type?: string, more = "") {
  const config = configFromYaml({
    text: `providers:\n  ds: { preset: deepseek, api_key: k${
      type ? `, type: ${type}, base_url: "https://api.deepseek.com"` : ""
    }${more} }\nroutes:\n  default: ds/deepseek-flash\n`,
    file: "config.yaml",
    env: {},
  });
  return config.providers.ds!;
}

Deno.test("deepseek preset (Anthropic endpoint): the Flash model gets images, never a PDF", () => {
  const ds = preset();
  for (const model of READS_IMAGES) {
    const settings = settingsFor(ds, model);
    assert.deepEqual(settings.supports, { images: true, documents: false }, model);
    const sent = JSON.stringify(applyModelSettings(REQUEST, settings, { protocol: "anthropic" }));
    assert.ok(sent.includes('"type":"image"'), `${model}: ${sent}`);
  }
  for (const model of TEXT_ONLY) {
    const settings = settingsFor(ds, model);
    const sent = JSON.stringify(applyModelSettings(REQUEST, settings, { protocol: "anthropic" }));
    assert.ok(!sent.includes('"type":"image"'), `${model}: ${sent}`);
    assert.ok(sent.includes(JSON.stringify(IMAGE_PLACEHOLDER)), `${model}: ${sent}`);
  }
});

Deno.test("deepseek preset with type: openai: deepseek-flash's image reaches Chat Completions", () => {
  const ds = preset("openai");
  const body = applyModelSettings(REQUEST, settingsFor(ds, "deepseek-flash"), {
    protocol: "openai",
  });
  const chat = toOpenAIChatRequest(body, {
    dialect: ds.dialect,
    model: "deepseek-flash",
    provider: "ds",
  });
  assert.ok(JSON.stringify(chat.messages).includes('"type":"image_url"'));
});

/** The Chat Completions messages openAITransport sends for `model` at `provider`. */
async function sentMessages(
  provider: ReturnType<typeof preset>,
  model: string,
): Promise<string> {
  let sent = "";
  const fetchStub = (_input: RequestInfo | URL, init?: RequestInit) => {
    sent = JSON.stringify(JSON.parse(new TextDecoder().decode(init?.body as Uint8Array)).messages);
    return Promise.resolve(Response.json({}, { status: 200 }));
  };
  await openAITransport.send({
    provider,
    model,
    clientModel: "claude-sonnet-4-5",
    body: REQUEST,
    clientHeaders: new Headers(),
    signal: new AbortController().signal,
    fetch: fetchStub as typeof fetch,
    inputTokens: () => Promise.resolve(100),
  });
  return sent;
}

Deno.test("a user's supports.images: true wins over the dialect's and the preset's text only", async () => {
  const settings = `, model_settings: { deepseek-v4-flash: { supports: { images: true } } }`;
  for (const type of ["openai", undefined]) {
    const ds = preset(type, settings);
    assert.deepEqual(settingsFor(ds, "deepseek-v4-flash").supports, {
      images: true,
      documents: false,
    });
    if (type === undefined) {
      const sent = applyModelSettings(REQUEST, settingsFor(ds, "deepseek-v4-flash"), {
        protocol: "anthropic",
      });
      assert.ok(JSON.stringify(sent).includes('"type":"image"'));
      continue;
    }
    const flash = await sentMessages(ds, "deepseek-v4-flash");
    assert.ok(flash.includes('"image_url":{"url":"data:image/png;base64,AAAA"}'), flash);
    // Only the model the user named: the others stay text only.
    const pro = await sentMessages(ds, "deepseek-v4-pro");
    assert.ok(!pro.includes("image_url"), pro);
    assert.ok(pro.includes(JSON.stringify(IMAGE_PLACEHOLDER).slice(1, -1)), pro);
  }
});

Deno.test("a user's supports.images: false still replaces images the dialect would send", async () => {
  const ds = preset(
    "openai",
    `, model_settings: { deepseek-flash: { supports: { images: false } } }`,
  );
  const sent = await sentMessages(ds, "deepseek-flash");
  assert.ok(!sent.includes("image_url"), sent);
});
