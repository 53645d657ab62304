/**
 * What the messages tests of the server share: headers and a body shaped like Claude Code
 * 2.1.x's first request, and a ccp in front of an Anthropic mock with the real Anthropic preset.
 */

import { startAnthropicMock } from "../mocks/anthropic_mock.ts";
import { startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";

export const CLAUDE_HEADERS = {
  "content-type": "application/json",
  authorization: "Bearer secret-token",
  "anthropic-version": "2023-06-01",
  "anthropic-beta": "claude-code-20250219,interleaved-thinking-2025-05-14",
  "user-agent": "claude-cli/2.1.330 (external, sdk-cli)",
  "x-app": "cli",
  "x-claude-code-session-id": "5f0e3c52-1111-4a4a-9999-000000000000",
  "x-stainless-retry-count": "0",
  connection: "keep-alive",
  "accept-encoding": "gzip, deflate, br, zstd",
};

/**
 * A body shaped like Claude Code 2.1.x's first request: a system-role message, the billing header,
 * a deferred tool, thinking, context management, output config and a field no schema knows.
 */
export function claudeCodeBody(stream = true): Record<string, unknown> {
  return {
    model: "claude-opus-5-5",
    messages: [
      {
        role: "user",
        content: [{ type: "text", text: "<system-reminder>x</system-reminder>" }, {
          type: "text",
          text: "write a.txt",
          cache_control: { type: "ephemeral" },
        }],
      },
      {
        role: "system",
        content: [{ type: "text", text: "# Environment\nYou have been invoked…" }],
      },
    ],
    system: [
      {
        type: "text",
        text: "x-anthropic-billing-header: cc_version=2.1.330.f73; cc_entrypoint=sdk-cli;",
      },
      { type: "text", text: "You are a Claude agent.", cache_control: { type: "ephemeral" } },
    ],
    tools: [
      {
        name: "Write",
        description: "Write a file",
        input_schema: {
          $schema: "https://json-schema.org/draft/2020-12/schema",
          type: "object",
          properties: { file_path: { type: "string" } },
          additionalProperties: false,
        },
      },
      {
        name: "DeferredToolPlaceholder",
        description: "",
        input_schema: { type: "object" },
        defer_loading: true,
      },
    ],
    metadata: {
      user_id: JSON.stringify({ device_id: "ab".repeat(32), account_uuid: "", session_id: "s" }),
    },
    max_tokens: 128000,
    thinking: { type: "adaptive", display: "updates" },
    context_management: { edits: [{ type: "clear_thinking_20251015", keep: "all" }] },
    output_config: { effort: "medium" },
    future_field: { anything: [1, 2, 3] },
    stream,
  };
}

/** A ccp in front of an Anthropic mock answering `replies`; disposed with `await using`. */
export function setup(
  replies: Parameters<typeof startAnthropicMock>[0],
  over: { authToken?: string; baseSuffix?: string; keys?: string[] } = {},
): {
  mock: ReturnType<typeof startAnthropicMock>;
  ccp: ReturnType<typeof startCcp>;
  [Symbol.asyncDispose](): Promise<void>;
} {
  const mock = startAnthropicMock(replies);
  const config = testConfig({
    providers: [
      // The real Anthropic preset: every field and beta passes untouched (no cleaning applies).
      provider("up", {
        preset: "anthropic",
        baseUrl: mock.url + (over.baseSuffix ?? ""),
        apiKeys: over.keys ?? ["sk-ant-api03-UPSTREAMKEY0000000000"],
      }),
    ],
    routes: { default: "up/glm-4.7", opus: "up/kimi-k2.5" },
    authToken: over.authToken ?? "secret-token",
  });
  const ccp = startCcp(config);
  return {
    mock,
    ccp,
    async [Symbol.asyncDispose]() {
      await ccp.close();
      await mock.close();
    },
  };
}
