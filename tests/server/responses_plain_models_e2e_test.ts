/**
 * Claude Code asks for thinking whatever model a route ends at; through ccp to a Responses API
 * model that takes no reasoning setting (the GPT-4 family, GPT-5's chat model) the request must
 * carry none, first time: the API refuses the field with a 400, and learning that from the
 * refusal costs every new session a failed round trip.
 */

import assert from "node:assert/strict";
import { startResponsesCcp } from "../helpers/responses_ccp.ts";
import { assertWellFormed, parseFrames, sdkMessage } from "../translate/_stream_helpers.ts";
import { postMessages } from "../helpers/ccp.ts";

const post = (url: string, body: unknown) => postMessages(url, body);

const THINKING = [
  { type: "enabled", budget_tokens: 8000 },
  { type: "adaptive" },
  undefined,
] as const;

for (const model of ["gpt-4.1", "gpt-4o-mini", "gpt-5-chat-latest"]) {
  Deno.test(`Responses upstream: ${model} gets no reasoning setting, asked or not`, async () => {
    for (const thinking of THINKING) {
      await using env = startResponsesCcp(
        () => ({ items: [{ kind: "text", text: "hello" }] }),
        model,
      );
      const res = await post(env.ccp.url, {
        model: "claude-sonnet-4-5",
        max_tokens: 16000,
        stream: true,
        ...(thinking ? { thinking } : {}),
        messages: [{ role: "user", content: "hi" }],
      });
      assert.equal(res.status, 200, await res.clone().text());
      const sse = await res.text();
      assertWellFormed(parseFrames(sse));
      const message = await sdkMessage(sse);
      assert.deepEqual(message.content, [{ type: "text", text: "hello" }]);
      const label = `${model} ${JSON.stringify(thinking)}`;
      assert.equal(env.mock.requests.length, 1, `${label}: no refused first attempt`);
      const sent = env.mock.requests[0]!.body;
      assert.equal(sent.reasoning, undefined, label);
      assert.equal(sent.include, undefined, `${label}: nothing encrypted to carry back`);
      assert.equal(sent.max_output_tokens, 16000, `${label}: no room for reasoning`);
    }
  });
}
