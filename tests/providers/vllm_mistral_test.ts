/** The README's advice for Mistral's models behind vLLM holds: `type: openai` bridges the roles. */

import assert from "node:assert/strict";
import { configFromSources } from "../helpers/config.ts";
import { dialectForModel } from "../../src/translate/openai_chat/dialect.ts";
import { applyQuirks } from "../../src/translate/openai_chat/quirks.ts";
import type { ChatCompletionRequest } from "../../src/protocols/openai_chat.ts";

Deno.test("vllm preset with type: openai puts an assistant message between tool results and user text for a Devstral", () => {
  const config = configFromSources({
    flags: {},
    env: {},
    yaml: {
      file: "config.yaml",
      text: [
        "providers:",
        "  vllm:",
        "    preset: vllm",
        "    type: openai",
        "    base_url: http://127.0.0.1:8000/v1",
        "routes:",
        "  default: vllm/mistralai/Devstral-Small-2507",
        "",
      ].join("\n"),
    },
  });
  const provider = config.providers.vllm!;
  assert.equal(provider.type, "openai");
  const dialect = dialectForModel(provider.dialect, "mistralai/Devstral-Small-2507");
  const body: ChatCompletionRequest = {
    model: "mistralai/Devstral-Small-2507",
    messages: [
      { role: "user", content: "list files" },
      {
        role: "assistant",
        content: null,
        tool_calls: [{
          id: "abc123def",
          type: "function",
          function: { name: "Bash", arguments: "{}" },
        }],
      },
      { role: "tool", tool_call_id: "abc123def", content: "a.txt" },
      { role: "user", content: "<system-reminder>…</system-reminder>" },
    ],
  };
  const sent = applyQuirks(body, dialect.quirks);
  assert.deepEqual(sent.messages.map((m) => m.role), [
    "user",
    "assistant",
    "tool",
    "assistant",
    "user",
  ]);
});
