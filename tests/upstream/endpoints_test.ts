import assert from "node:assert/strict";
import {
  anthropicUrl,
  geminiUrl,
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
