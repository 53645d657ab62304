import assert from "node:assert/strict";
import { UpstreamError } from "../../src/core/errors.ts";
import { geminiResponseToAnthropic } from "../../src/translate/gemini/response.ts";
import { openAIResponseToAnthropic } from "../../src/translate/openai_chat/response.ts";

const OPTIONS = {
  clientModel: "claude-sonnet-4-5",
  inputTokens: 777,
  provider: "gw",
  upstreamModel: "m",
  messageId: "msg_x",
};

function thrown(run: () => unknown): UpstreamError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof UpstreamError);
    return error;
  }
  assert.fail("no error thrown");
}

Deno.test("an error body in a 200 answer keeps the status it names", async (t) => {
  const chat = (error: unknown) => thrown(() => openAIResponseToAnthropic({ error }, OPTIONS));
  await t.step("OpenAI type invalid_request_error: 400, so Claude Code does not retry it", () => {
    const error = chat({
      message: "Invalid max_tokens value, the valid range of max_tokens is [1, 8192]",
      type: "invalid_request_error",
    });
    assert.equal(error.status, 400);
    assert.equal(error.errorType, "invalid_request_error");
    assert.match(
      error.message,
      /Upstream provider "gw" \(model m\) returned an error: Invalid max_tokens/,
    );
  });
  await t.step("a gateway's numeric or string code", () => {
    assert.equal(chat({ message: "slow down", code: 429 }).status, 429);
    assert.equal(chat({ message: "bad", code: "400" }).status, 400);
  });
  await t.step("a context overflow reads as Anthropic's", () => {
    const error = chat({
      message:
        "This model's maximum context length is 65536 tokens. However, you requested 70000 tokens.",
      code: 400,
    });
    assert.ok(error.message.startsWith("prompt is too long: 70000 tokens > 65536 maximum"));
  });
  await t.step("no status named: still a gateway error", () => {
    const error = chat({ message: "bad key" });
    assert.equal(error.status, 502);
    assert.equal(error.errorType, "api_error");
  });
  await t.step("no status named, but the words of an over-long prompt (LM Studio's)", () => {
    const error = chat(
      "Trying to keep the first 9000 tokens when context the overflows. However, the model is loaded with context length of only 8192 tokens, which is not enough.",
    );
    assert.equal(error.status, 400);
    assert.equal(error.errorType, "invalid_request_error");
    assert.ok(error.message.startsWith("prompt is too long: 9000 tokens > 8192 maximum ("));
  });
  await t.step("Gemini's error body", () => {
    const error = thrown(() =>
      geminiResponseToAnthropic(
        { error: { code: 400, message: "Invalid argument", status: "INVALID_ARGUMENT" } },
        OPTIONS,
      )
    );
    assert.equal(error.status, 400);
    assert.match(error.message, /INVALID_ARGUMENT: Invalid argument/);
  });
});
