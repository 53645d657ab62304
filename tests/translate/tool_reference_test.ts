// Claude Code's ToolSearch answers with `tool_reference` blocks inside a tool_result (tools it
// loads are sent with `defer_loading: true`). Translated upstreams must
// read that the tool was loaded, not an empty result.

import assert from "node:assert/strict";
import type { MessagesRequest } from "../../src/protocols/anthropic.ts";
import { toGeminiRequest } from "../../src/translate/gemini/request.ts";
import { OPENAI_DIALECTS } from "../../src/translate/openai_chat/dialects.ts";
import { toOpenAIChatRequest } from "../../src/translate/openai_chat/request.ts";
import { toResponsesRequest } from "../../src/translate/openai_responses/request.ts";
import { claudeCodeRequest } from "./_claude_code_request.ts";

const LOADED = 'Tool "WebFetch" loaded: it is now available to call.';

/** The fixture with its last tool result answered by ToolSearch loading WebFetch. */
function toolSearchRequest(): MessagesRequest {
  const request = claudeCodeRequest("sig");
  const last = request.messages[request.messages.length - 1]!;
  last.content = [{
    type: "tool_result",
    tool_use_id: "call_00_w1",
    content: [{ type: "tool_reference", tool_name: "WebFetch" } as never],
  }];
  request.tools = [...request.tools ?? [], {
    name: "WebFetch",
    description: "Fetches a URL.",
    input_schema: { type: "object", properties: { url: { type: "string" } } },
    defer_loading: true,
  }];
  return request;
}

Deno.test("tool_reference in a tool_result → a line saying the tool is loaded", async (t) => {
  await t.step("Chat Completions", () => {
    const body = toOpenAIChatRequest(toolSearchRequest(), {
      dialect: OPENAI_DIALECTS.openai_compatible,
      provider: "p",
      model: "m",
    });
    const tool = body.messages.find((m) => m.role === "tool");
    assert.equal(tool?.content, LOADED);
  });
  await t.step("Responses", () => {
    const body = toResponsesRequest(toolSearchRequest(), { provider: "p", model: "m" } as never);
    const output = body.input.find((item) => item.type === "function_call_output");
    assert.equal((output as { output?: string } | undefined)?.output, LOADED);
  });
  await t.step("Gemini", () => {
    const body = toGeminiRequest(toolSearchRequest(), { provider: "g", model: "gemini-2.5-pro" });
    const parts = body.contents.flatMap((c) => c.parts);
    const response = parts.find((p) => p.functionResponse)?.functionResponse;
    assert.deepEqual(response, { name: "Write", response: { result: LOADED } });
  });
});

Deno.test("deferred tools are offered only once referenced, called or forced", async (t) => {
  const names = (request: MessagesRequest) =>
    (toOpenAIChatRequest(request, {
      dialect: OPENAI_DIALECTS.openai_compatible,
      provider: "p",
      model: "m",
    }).tools ?? []).map((tool) => tool.function.name);
  await t.step("never referenced: held back, like Anthropic does", () => {
    const request = toolSearchRequest();
    request.messages[request.messages.length - 1]!.content = "go on";
    const offered = names(request);
    assert.ok(!offered.includes("WebFetch"));
    assert.ok(!offered.includes("DeferredToolPlaceholder"));
    assert.ok(offered.includes("ToolSearch"));
  });
  await t.step("loaded by a tool_reference", () => {
    const offered = names(toolSearchRequest());
    assert.ok(offered.includes("WebFetch"));
    assert.ok(!offered.includes("DeferredToolPlaceholder"));
  });
  await t.step("called earlier in the history, or named by tool_choice", () => {
    const called = toolSearchRequest();
    called.messages[called.messages.length - 1]!.content = "go on";
    const assistant = called.messages.find((m) => m.role === "assistant")!;
    assistant.content = [{ type: "tool_use", id: "toolu_9", name: "WebFetch", input: {} }];
    assert.ok(names(called).includes("WebFetch"));
    const forced = toolSearchRequest();
    forced.messages[forced.messages.length - 1]!.content = "go on";
    forced.tool_choice = { type: "tool", name: "WebFetch" };
    assert.ok(names(forced).includes("WebFetch"));
  });
  await t.step("Responses and Gemini hold them back too", () => {
    const request = toolSearchRequest();
    request.messages[request.messages.length - 1]!.content = "go on";
    const responses = toResponsesRequest(request, { provider: "p", model: "m" } as never);
    assert.ok(!responses.tools!.some((tool) => tool.name === "DeferredToolPlaceholder"));
    const gemini = toGeminiRequest(request, { provider: "g", model: "gemini-2.5-pro" });
    const declared = gemini.tools?.[0]?.functionDeclarations ?? [];
    assert.ok(!declared.some((d) => d.name === "WebFetch" || d.name === "DeferredToolPlaceholder"));
  });
});

Deno.test("a loaded MCP tool is named as each wire offers it", async (t) => {
  const long = "mcp__claude_ai_Google_Workspace__search_drive_files_by_owner_and_modified_time";
  const request = () => {
    const r = toolSearchRequest();
    const result = r.messages[r.messages.length - 1]!.content as Array<{ content: unknown }>;
    result[0]!.content = [{ type: "tool_reference", tool_name: long }];
    r.tools = [...r.tools!.filter((tool) => tool.name !== "WebFetch"), {
      name: long,
      description: "Searches Drive.",
      input_schema: { type: "object", properties: { owner: { type: "string" } } },
      defer_loading: true,
    }];
    return r;
  };
  const loadedLine = (text: unknown, offered: readonly string[]) => {
    const named = /^Tool "(.+)" loaded/.exec(String(text))?.[1];
    assert.ok(named && named !== long && named.length <= 64, String(text));
    assert.ok(offered.includes(named), `${named} offered among ${offered}`);
  };
  await t.step("Chat Completions", () => {
    const body = toOpenAIChatRequest(request(), {
      dialect: OPENAI_DIALECTS.openai_compatible,
      provider: "p",
      model: "m",
    });
    const offered = (body.tools ?? []).map((tool) => tool.function.name);
    loadedLine(body.messages.find((m) => m.role === "tool")?.content, offered);
  });
  await t.step("Responses", () => {
    const body = toResponsesRequest(request(), { provider: "p", model: "m" } as never);
    const output = body.input.find((item) => item.type === "function_call_output");
    const offered = (body.tools ?? []).map((tool) => (tool as { name?: string }).name ?? "");
    loadedLine((output as { output?: string } | undefined)?.output, offered);
  });
  await t.step("Gemini", () => {
    const body = toGeminiRequest(request(), { provider: "g", model: "gemini-2.5-pro" });
    const parts = body.contents.flatMap((c) => c.parts);
    const response = parts.find((p) => p.functionResponse)?.functionResponse;
    const offered = (body.tools ?? []).flatMap((tool) =>
      ((tool as { functionDeclarations?: Array<{ name: string }> }).functionDeclarations ?? [])
        .map((d) => d.name)
    );
    loadedLine((response?.response as { result?: string } | undefined)?.result, offered);
  });
});
