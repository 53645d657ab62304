import assert from "node:assert/strict";
import { configFromYaml } from "../../src/config/from_yaml.ts";
import {
  anthropicUrl,
  geminiUrl,
  localServerUrl,
  openAIChatUrl,
  openAIResponsesUrl,
} from "../../src/upstream/http/endpoints.ts";

Deno.test("each protocol's path is added to the API root, a trailing slash or /v1 taken into account", () => {
  assert.equal(
    anthropicUrl("https://api.example.com", "messages"),
    "https://api.example.com/v1/messages",
  );
  assert.equal(
    anthropicUrl("https://api.example.com/v1/", "messages/count_tokens"),
    "https://api.example.com/v1/messages/count_tokens",
  );
  assert.equal(
    openAIChatUrl("http://127.0.0.1:8000/v1/"),
    "http://127.0.0.1:8000/v1/chat/completions",
  );
  assert.equal(
    openAIResponsesUrl("https://api.openai.com/v1"),
    "https://api.openai.com/v1/responses",
  );
  assert.equal(
    geminiUrl("https://generativelanguage.googleapis.com", "models/gemini-2.5-pro", true),
    "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse",
  );
});

Deno.test("a query in base_url (a gateway's key or API version) stays after the path ccp adds", () => {
  assert.equal(
    openAIChatUrl("https://gw.example.com/openai/v1?api-version=2025-01-01&api-key=K/"),
    "https://gw.example.com/openai/v1/chat/completions?api-version=2025-01-01&api-key=K/",
  );
  assert.equal(
    openAIChatUrl("https://gw.example.com/v1/?api-key=K"),
    "https://gw.example.com/v1/chat/completions?api-key=K",
  );
  assert.equal(
    openAIResponsesUrl("https://gw.example.com/v1?key=K"),
    "https://gw.example.com/v1/responses?key=K",
  );
  assert.equal(
    anthropicUrl("https://gw.example.com?key=K", "messages"),
    "https://gw.example.com/v1/messages?key=K",
  );
  assert.equal(
    anthropicUrl("https://gw.example.com/v1?key=K", "messages"),
    "https://gw.example.com/v1/messages?key=K",
  );
  assert.equal(
    geminiUrl("https://gw.example.com/v1beta?key=K", "gemini-2.5-flash", true),
    "https://gw.example.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse&key=K",
  );
  assert.equal(
    geminiUrl("https://gw.example.com?key=K", "gemini-2.5-flash", false),
    "https://gw.example.com/v1beta/models/gemini-2.5-flash:generateContent?key=K",
  );
});

Deno.test("a local server's own paths go before the query its base_url holds", () => {
  assert.equal(
    localServerUrl("http://127.0.0.1:11434/v1/?key=K1", "/api/ps"),
    "http://127.0.0.1:11434/api/ps?key=K1",
  );
  assert.equal(localServerUrl("http://h:8080?k=a&b=c", "/props"), "http://h:8080/props?k=a&b=c");
  assert.equal(
    localServerUrl("http://h:8000/v1?k=K2", "/models", true),
    "http://h:8000/v1/models?k=K2",
  );
  assert.equal(localServerUrl("http://h:1234/v1", "/api/v0/models"), "http://h:1234/api/v0/models");
});

Deno.test("a base_url's fragment is dropped and its query kept as written, on every endpoint", async (t) => {
  const built = (baseUrl: string, type = "openai") =>
    configFromYaml({
      file: "c.yaml",
      env: {},
      text: `providers:\n  p: { type: ${type}, api_key: k, base_url: "${baseUrl}" }\n` +
        "routes: { default: p/m }\n",
    }).providers.p!.baseUrl;
  await t.step("a fragment alone would be read as part of the path", () => {
    const baseUrl = built("http://127.0.0.1:8000/v1#notes");
    assert.equal(openAIChatUrl(baseUrl), "http://127.0.0.1:8000/v1/chat/completions");
    assert.equal(anthropicUrl(baseUrl, "messages"), "http://127.0.0.1:8000/v1/messages");
  });
  await t.step("a fragment after a query, holding a `?` of its own", () => {
    const baseUrl = built("https://gw.example.com/v1?api-version=2024-10-21#a?b=c");
    assert.equal(
      openAIResponsesUrl(baseUrl),
      "https://gw.example.com/v1/responses?api-version=2024-10-21",
    );
    assert.equal(
      geminiUrl(built("https://gw.example.com/v1beta/?key=K#x", "gemini"), "g", true),
      "https://gw.example.com/v1beta/models/g:streamGenerateContent?alt=sse&key=K",
    );
  });
  await t.step("a query value ending in a slash keeps it (a key may)", () => {
    const baseUrl = built("https://gw.example.com/v1/?api-key=K/");
    assert.equal(baseUrl, "https://gw.example.com/v1?api-key=K/");
    assert.equal(
      anthropicUrl(baseUrl, "messages/count_tokens"),
      "https://gw.example.com/v1/messages/count_tokens?api-key=K/",
    );
  });
});
