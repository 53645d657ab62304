import assert from "node:assert/strict";
import { upstreamHttpError } from "../../src/upstream/errors.ts";

function errorFor(status: number, body: unknown) {
  return upstreamHttpError({
    provider: "p",
    model: "m",
    status,
    headers: new Headers(),
    bodyText: typeof body === "string" ? body : JSON.stringify(body),
    keys: [],
  });
}

Deno.test("context overflow: each provider's wording leads with Anthropic's sentence", async (t) => {
  const rows: Array<[string, number, unknown, string]> = [
    [
      "OpenAI / DeepSeek",
      400,
      {
        error: {
          message:
            "This model's maximum context length is 131072 tokens. However, you requested 200000 tokens. Please reduce the length of the messages.",
          code: "context_length_exceeded",
        },
      },
      "prompt is too long: 200000 tokens > 131072 maximum",
    ],
    [
      "vLLM, the prompt alone fits: max_tokens is the problem",
      400,
      {
        message:
          "This model's maximum context length is 32768 tokens. However, you requested 36000 tokens (30000 in the messages, 6000 in the completion). Please reduce the length of the messages or completion.",
      },
      "input length and `max_tokens` exceed context limit: 30000 + 6000 > 32768",
    ],
    [
      "vLLM 0.8+ (and MiniMax), the prompt fits: max_tokens is the problem",
      400,
      {
        error: {
          message:
            "'max_tokens' or 'max_completion_tokens' is too large: 4096. This model's maximum context length is 65536 tokens and your request has 63366 input tokens (4096 > 65536 - 63366). (parameter=max_tokens, value=4096)",
          type: "BadRequestError",
        },
      },
      "input length and `max_tokens` exceed context limit: 63366 + 4096 > 65536",
    ],
    [
      "vLLM (its current wording; Cloudflare, Bedrock): output and prompt named apart",
      400,
      {
        error: {
          message:
            "This model's maximum context length is 202752 tokens. However, you requested 64000 output tokens and your prompt contains at least 138753 input tokens, for a total of at least 202753 tokens. Please reduce the length of the input prompt or the number of requested output tokens.",
        },
      },
      "input length and `max_tokens` exceed context limit: 138753 + 64000 > 202752",
    ],
    [
      "vLLM, the same wording when the prompt alone is too long",
      400,
      {
        error: {
          message:
            "This model's maximum context length is 32768 tokens. However, you requested 0 output tokens and your prompt contains at least 32769 input tokens, for a total of at least 32769 tokens.",
        },
      },
      "prompt is too long: 32769 tokens > 32768 maximum",
    ],
    [
      "vLLM's engine (images counted after the server's own check)",
      400,
      {
        error: {
          message:
            "The decoder prompt (length 40000) is longer than the maximum model length of 32768. Make sure that `max_model_len` is no smaller than the number of text tokens plus multimodal tokens. For image inputs, the number of image tokens depends on the number of images, and possibly their aspect ratios as well.",
          type: "BadRequestError",
        },
      },
      "prompt is too long: 40000 tokens > 32768 maximum",
    ],
    [
      "SGLang (and vLLM through some hosts): a total, then its two parts",
      400,
      {
        object: "error",
        message:
          "Requested token count exceeds the model's maximum context length of 262144 tokens. You requested a total of 267042 tokens: 201506 tokens from the input messages and 65536 tokens for the completion. Please reduce the number of tokens in the input messages or the completion to fit within the limit.",
      },
      "input length and `max_tokens` exceed context limit: 201506 + 65536 > 262144",
    ],
    [
      "llama.cpp",
      400,
      {
        error: {
          code: 400,
          message:
            "request (33000 tokens) exceeds the available context size (32768 tokens), try increasing it",
          type: "exceed_context_size_error",
        },
      },
      "prompt is too long: 33000 tokens > 32768 maximum",
    ],
    [
      "NIM",
      400,
      "The input (345516 tokens) is longer than the model's context length (262144 tokens).",
      "prompt is too long: 345516 tokens > 262144 maximum",
    ],
    [
      "Gemini",
      400,
      {
        error: {
          code: 400,
          message:
            "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).",
          status: "INVALID_ARGUMENT",
        },
      },
      "prompt is too long: 1200000 tokens > 1048576 maximum",
    ],
    [
      "Mistral",
      400,
      {
        message:
          "Prompt contains 40000 tokens and 0 draft tokens, too large for model with 32768 maximum context length",
      },
      "prompt is too long: 40000 tokens > 32768 maximum",
    ],
    [
      "Kimi (Moonshot)",
      400,
      {
        error: {
          message:
            "Invalid request: Your request exceeded model token limit: 262144 (requested: 269030)",
          type: "invalid_request_error",
        },
      },
      "prompt is too long: 269030 tokens > 262144 maximum",
    ],
    [
      "Z.AI / Zhipu GLM (code 1261, no sizes)",
      400,
      { error: { code: "1261", message: "Prompt exceeds max length" } },
      "prompt is too long",
    ],
    [
      "GLM on another host",
      400,
      {
        error: {
          code: "InvalidParameter",
          message: "Input length 203743 exceeds the maximum length 202752",
        },
      },
      "prompt is too long: 203743 tokens > 202752 maximum",
    ],
    [
      "an Anthropic-compatible upstream's own sentence is kept in front",
      400,
      {
        type: "error",
        error: {
          type: "invalid_request_error",
          message: "prompt is too long: 208310 tokens > 200000 maximum",
        },
      },
      "prompt is too long: 208310 tokens > 200000 maximum",
    ],
    [
      "OpenRouter: the total counts the output, so a prompt that fits asks for fewer output tokens",
      400,
      {
        error: {
          code: 400,
          message:
            'This endpoint\'s maximum context length is 131072 tokens. However, you requested about 138956 tokens (7884 of text input, 131072 in the output). Please reduce the length of either one, or use the "middle-out" transform to compress your prompt automatically.',
          metadata: { provider_name: "Chutes" },
        },
      },
      "input length and `max_tokens` exceed context limit: 7884 + 131072 > 131072",
    ],
    [
      "OpenRouter: text and tool input are both the prompt",
      400,
      {
        error: {
          code: 400,
          message:
            'This endpoint\'s maximum context length is 204800 tokens. However, you requested about 205432 tokens (81684 of text input, 3748 of tool input, 120000 in the output). Please reduce the length of either one, or use the "middle-out" transform to compress your prompt automatically.',
        },
      },
      "input length and `max_tokens` exceed context limit: 85432 + 120000 > 204800",
    ],
    [
      "OpenRouter: a prompt too long by itself",
      400,
      {
        error: {
          code: 400,
          message:
            'This endpoint\'s maximum context length is 131072 tokens. However, you requested about 170000 tokens (138000 of text input, 32000 in the output). Please reduce the length of either one, or use the "middle-out" transform to compress your prompt automatically.',
        },
      },
      "prompt is too long: 138000 tokens > 131072 maximum",
    ],
    [
      "OpenRouter: the provider's own refusal, wrapped in 'Provider returned error'",
      400,
      {
        error: {
          message: "Provider returned error",
          code: 400,
          metadata: {
            raw: JSON.stringify({
              object: "error",
              message:
                "This model's maximum context length is 32768 tokens. However, you requested 40000 tokens (36000 in the messages, 4000 in the completion).",
              type: "BadRequestError",
              code: 400,
            }),
            provider_name: "DeepInfra",
          },
        },
      },
      "prompt is too long: 36000 tokens > 32768 maximum",
    ],
    [
      "xAI",
      400,
      {
        code: "Client specified an invalid argument",
        error:
          "This model's maximum prompt length is 131072 but the request contains 136973 tokens.",
      },
      "prompt is too long: 136973 tokens > 131072 maximum",
    ],
    [
      "Text Generation Inference: prompt and max_new_tokens together",
      422,
      {
        error:
          "Input validation error: `inputs` tokens + `max_new_tokens` must be <= 65537. Given: 60000 `inputs` tokens and 8192 `max_new_tokens`",
        error_type: "validation",
      },
      "input length and `max_tokens` exceed context limit: 60000 + 8192 > 65537",
    ],
    [
      "Text Generation Inference: the prompt alone",
      422,
      {
        error: "Input validation error: `inputs` must have less than 2048 tokens. Given: 2222",
        error_type: "validation",
      },
      "prompt is too long: 2222 tokens > 2048 maximum",
    ],
    [
      "Ollama: its sizes are kept",
      400,
      { error: "The prompt is too long: 208863, model maximum context length: 202752" },
      "prompt is too long: 208863 tokens > 202752 maximum",
    ],
    [
      "LM Studio: its sizes are kept",
      400,
      {
        error:
          "Trying to keep the first 111490 tokens when context the overflows. However, the model is loaded with context length of only 32768 tokens, which is not enough. Try to load the model with a larger context length, or provide a shorter input",
      },
      "prompt is too long: 111490 tokens > 32768 maximum",
    ],
    [
      "a 413 about the context is a 400 as Anthropic sends it, not Claude Code's 'max 32MB'",
      413,
      { error: { message: "Request size exceeds model context window" } },
      "prompt is too long",
    ],
  ];
  for (const [name, status, body, start] of rows) {
    await t.step(name, () => {
      const error = errorFor(status, body);
      assert.equal(error.status, 400);
      assert.equal(error.errorType, "invalid_request_error");
      assert.ok(error.message.startsWith(start), error.message);
      // The provider's own words stay, for the person reading the error.
      assert.match(error.message, /provider "p" \(model m\) answered HTTP 4\d\d: /);
    });
  }
});

Deno.test("context overflow: other refusals keep their wording and status", () => {
  const maxTokens = errorFor(400, {
    error: { message: "Invalid max_tokens value, the valid range of max_tokens is [1, 8192]" },
  });
  assert.match(
    maxTokens.message,
    /^Provider "p" \(model m\) answered HTTP 400: Invalid max_tokens/,
  );
  const serverFault = errorFor(500, { error: { message: "context length exceeded in kv cache" } });
  assert.equal(serverFault.status, 502);
  assert.doesNotMatch(serverFault.message, /^prompt is too long/);
});
