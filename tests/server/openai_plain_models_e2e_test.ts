/**
 * GPT-5's chat model (`gpt-5-chat-latest`) does not reason and refuses `reasoning_effort`, like
 * the GPT-4 family: through ccp on Chat Completions it gets no effort, whether Claude Code asks for
 * thinking or not, and no room for reasoning beside the answer.
 */

import assert from "node:assert/strict";
import { startOpenAIMock } from "../mocks/openai_mock.ts";
import { postMessages, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";

const ANSWER = {
  id: "chatcmpl-1",
  object: "chat.completion",
  model: "gpt-5-chat-latest",
  choices: [{ index: 0, message: { role: "assistant", content: "hello" }, finish_reason: "stop" }],
  usage: { prompt_tokens: 9, completion_tokens: 1, total_tokens: 10 },
};

for (const model of ["gpt-5-chat-latest", "gpt-4.1"]) {
  Deno.test(`openai provider: ${model} gets no reasoning_effort, asked or not`, async () => {
    const mock = startOpenAIMock({ json: ANSWER });
    const ccp = startCcp(testConfig({
      providers: [
        provider("oa", {
          type: "openai",
          preset: "openai",
          baseUrl: mock.url,
          apiKeys: ["sk-test-0000000000"],
          authHeader: "bearer",
          maxRetries: 0,
        }),
      ],
      routes: { default: `oa/${model}` },
    }));
    try {
      const cases = [{ type: "enabled", budget_tokens: 8000 }, { type: "adaptive" }, undefined];
      for (const [i, thinking] of cases.entries()) {
        const res = await postMessages(ccp.url, {
          model: "claude-sonnet-4-5",
          max_tokens: 4000,
          ...(thinking ? { thinking } : {}),
          messages: [{ role: "user", content: "hi" }],
        });
        assert.equal(res.status, 200);
        const message = await res.json();
        assert.deepEqual(message.content, [{ type: "text", text: "hello" }]);
        const sent = mock.requests[i]!.body;
        const label = `${model} ${JSON.stringify(thinking)}`;
        assert.equal(sent.reasoning_effort, undefined, label);
        assert.equal(sent.max_completion_tokens, 4000, `${label}: no room for reasoning`);
      }
      assert.equal(mock.requests.length, 3);
    } finally {
      await ccp.close();
      await mock.close();
    }
  });
}
