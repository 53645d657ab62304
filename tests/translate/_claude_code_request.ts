/**
 * A request shaped like the ones Claude Code 2.1.x sends:
 * three system blocks (billing header, agent line, main prompt with cache_control), a
 * `role: "system"` message after the first user turn, 12 tools with `$schema` and
 * `additionalProperties: false`, adaptive thinking, `output_config`, `context_management`,
 * `metadata.user_id` as a JSON string, an assistant turn with thinking + signature +
 * tool_use, and a user turn with a tool_result carrying cache_control.
 */

import type { MessagesRequest, ToolDefinition } from "../../src/protocols/anthropic.ts";

const SCHEMA = "https://json-schema.org/draft/2020-12/schema";

function tool(
  name: string,
  properties: Record<string, unknown>,
  required: string[] = [],
): ToolDefinition {
  return {
    name,
    description: `The ${name} tool.`,
    input_schema: {
      $schema: SCHEMA,
      type: "object",
      properties,
      required,
      additionalProperties: false,
    },
  };
}

const TOOLS: ToolDefinition[] = [
  tool("Agent", { description: { type: "string" }, prompt: { type: "string" } }, ["prompt"]),
  tool("Bash", { command: { type: "string" }, timeout: { type: "number", maximum: 600000 } }, [
    "command",
  ]),
  tool("Edit", {
    file_path: { type: "string" },
    old_string: { type: "string" },
    new_string: { type: "string" },
  }, ["file_path"]),
  tool("ListAgents", {}),
  tool("Read", { file_path: { type: "string" }, offset: { type: "integer" } }, ["file_path"]),
  tool("ReportFindings", {
    findings: { type: "array", items: { type: "object", additionalProperties: false } },
  }),
  tool("ScheduleWakeup", { at: { type: "string", format: "date-time" } }),
  tool("Skill", { skill: { type: "string" } }, ["skill"]),
  tool("ToolSearch", { query: { type: "string" } }, ["query"]),
  tool("Workflow", { steps: { type: "array", items: { type: "string" } } }),
  {
    name: "DeferredToolPlaceholder",
    description: "Placeholder for deferred tools.",
    input_schema: { $schema: SCHEMA, type: "object", properties: {}, additionalProperties: false },
    defer_loading: true,
  },
  tool("Write", { file_path: { type: "string" }, content: { type: "string" } }, [
    "file_path",
    "content",
  ]),
];

/** Signature of an answer ccp produced earlier from provider "deepseek", model deepseek-v4-pro. */
export function claudeCodeRequest(thinkingSignature: string): MessagesRequest {
  return {
    model: "claude-opus-5-5",
    messages: [
      {
        role: "user",
        content: [
          {
            type: "text",
            text: "<system-reminder>\nAttribution for git commits …</system-reminder>\n",
          },
          { type: "text", text: "Create hello.txt containing hi" },
        ],
      },
      {
        role: "system",
        content: [{
          type: "text",
          text: "# Environment\nYou have been invoked in the following environment: …",
        }],
      },
      {
        role: "assistant",
        content: [
          { type: "thinking", thinking: "I should write the file.", signature: thinkingSignature },
          { type: "text", text: "Writing it now." },
          {
            type: "tool_use",
            id: "call_00_w1",
            name: "Write",
            input: { file_path: "/tmp/hello.txt", content: "hi" },
          },
        ],
      },
      {
        role: "user",
        content: [{
          type: "tool_result",
          tool_use_id: "call_00_w1",
          content: "File created successfully at: /tmp/hello.txt",
          cache_control: { type: "ephemeral" },
        }],
      },
    ],
    system: [
      {
        type: "text",
        text: "x-anthropic-billing-header: cc_version=2.1.330.f73; cc_entrypoint=sdk-cli;",
      },
      {
        type: "text",
        text: "You are a Claude agent, built on Anthropic's Claude Agent SDK.",
        cache_control: { type: "ephemeral" },
      },
      { type: "text", text: "Main prompt. ".repeat(50), cache_control: { type: "ephemeral" } },
    ],
    tools: TOOLS,
    metadata: {
      user_id: JSON.stringify({
        device_id: "a".repeat(64),
        account_uuid: "",
        session_id: crypto.randomUUID(),
      }),
    },
    max_tokens: 128000,
    thinking: { type: "adaptive", display: "updates" },
    context_management: { edits: [{ type: "clear_thinking_20251015", keep: "all" }] },
    output_config: { effort: "medium" },
    stream: true,
  };
}
