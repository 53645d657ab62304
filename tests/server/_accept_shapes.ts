/**
 * The catalogue of request shapes Anthropic's Messages API documents: every content block type,
 * top-level parameter and tool kind, each in a body of its own. Every shape carries marker words
 * in the content a model must see; a translation that loses one has silently lost user content.
 */

type Obj = Record<string, unknown>;

/** One request shape. */
export interface Shape {
  name: string;
  /** Merged over the base body (`messages` replaces the base history). */
  body: Obj;
  /** Words the upstream must receive on a translated target (content the model must see). */
  marks?: string[];
  /**
   * Web server tools: ccp runs them for every upstream but the real Anthropic API (without
   * `web_tools` configured, it removes them and its answer says so).
   */
  webTools?: true;
  /** Words a translated target must be offered (the inputs of a tool Anthropic defines). */
  offered?: string[];
  /**
   * Targets that cannot take the shape: they answer 400 invalid_request_error with a message that
   * matches the pattern; the others must serve it.
   */
  refusedBy?: Partial<Record<"openai" | "openai_responses" | "gemini", RegExp>>;
}

const PDF = btoa("%PDF-1.4\n1 0 obj << /Type /Page >> endobj\ntrailer << >>\n%%EOF");
const PNG =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

const user = (content: unknown): Obj => ({ role: "user", content });
const assistant = (content: unknown): Obj => ({ role: "assistant", content });
const text = (t: string, extra: Obj = {}): Obj => ({ type: "text", text: t, ...extra });

/** A user turn, an assistant turn holding `blocks`, then a user turn asking on. */
function afterAssistant(blocks: unknown[], follow: unknown[] = [text("go on")]): Obj[] {
  return [user("start"), assistant(blocks), user(follow)];
}

/** A tool call and its result holding `content`. */
function toolResult(content: unknown, extra: Obj = {}): Obj[] {
  return [
    user("run it"),
    assistant([{ type: "tool_use", id: "toolu_01", name: "Run", input: { x: 1 } }]),
    user([{ type: "tool_result", tool_use_id: "toolu_01", content, ...extra }]),
  ];
}

const RUN_TOOL = { name: "Run", description: "runs", input_schema: { type: "object" } };
const citations = { citations: { enabled: true } };
const cited = [{
  type: "char_location",
  cited_text: "CITEDWORD",
  document_index: 0,
  document_title: "t",
  start_char_index: 0,
  end_char_index: 9,
}];

/** Every block type, top-level parameter and tool kind, one shape each. */
export const SHAPES: Shape[] = [
  // ---- content blocks: user turn ----
  { name: "text string content", body: { messages: [user("PLAINWORD")] }, marks: ["PLAINWORD"] },
  {
    name: "text block with cache_control ttl 1h",
    body: {
      messages: [user([text("TTLWORD", { cache_control: { type: "ephemeral", ttl: "1h" } })])],
    },
    marks: ["TTLWORD"],
  },
  {
    name: "image base64",
    body: {
      messages: [
        user([
          { type: "image", source: { type: "base64", media_type: "image/png", data: PNG } },
          text("IMGWORD"),
        ]),
      ],
    },
    marks: ["IMGWORD", PNG.slice(0, 20)],
  },
  {
    name: "image url",
    body: {
      messages: [
        user([
          { type: "image", source: { type: "url", url: "https://img.test/cat.png" } },
          text("q"),
        ]),
      ],
    },
    marks: ["https://img.test/cat.png"],
  },
  {
    name: "image file",
    body: {
      messages: [
        user([{ type: "image", source: { type: "file", file_id: "file_011IMG" } }, text("q")]),
      ],
    },
    refusedBy: {
      openai: /image source "file".*provider "openai"/i,
      openai_responses: /image source "file".*provider "openai_responses"/i,
      gemini: /image source "file".*provider "gemini"/i,
    },
  },
  {
    name: "document pdf base64 with title, context and citations",
    body: {
      messages: [user([{
        type: "document",
        source: { type: "base64", media_type: "application/pdf", data: PDF },
        title: "PDFTITLE",
        context: "PDFCONTEXT",
        ...citations,
      }, text("q")])],
    },
    marks: ["PDFCONTEXT"],
  },
  {
    name: "document pdf url",
    body: {
      messages: [
        user([
          { type: "document", source: { type: "url", url: "https://doc.test/a.pdf" } },
          text("q"),
        ]),
      ],
    },
    marks: ["https://doc.test/a.pdf"],
  },
  {
    name: "document plain text with title and context",
    body: {
      messages: [user([{
        type: "document",
        source: { type: "text", media_type: "text/plain", data: "DOCTEXTWORD" },
        title: "DOCTITLE",
        context: "DOCCONTEXT",
        ...citations,
      }, text("q")])],
    },
    marks: ["DOCTEXTWORD", "DOCTITLE", "DOCCONTEXT"],
  },
  {
    name: "document custom content",
    body: {
      messages: [user([{
        type: "document",
        source: { type: "content", content: [text("CHUNKONE"), text("CHUNKTWO")] },
        title: "CONTENTTITLE",
        ...citations,
      }, text("q")])],
    },
    marks: ["CHUNKONE", "CHUNKTWO", "CONTENTTITLE"],
  },
  {
    name: "document custom content with an image",
    body: {
      messages: [user([{
        type: "document",
        source: {
          type: "content",
          content: [text("CHUNKIMG"), {
            type: "image",
            source: { type: "base64", media_type: "image/png", data: PNG },
          }],
        },
      }, text("q")])],
    },
    marks: ["CHUNKIMG", PNG.slice(0, 20)],
  },
  {
    name: "document file",
    body: {
      messages: [
        user([{ type: "document", source: { type: "file", file_id: "file_011DOC" } }, text("q")]),
      ],
    },
    refusedBy: {
      openai: /document source "file".*provider "openai"/i,
      openai_responses: /document source "file" cannot be sent to the Responses API/i,
      gemini: /document source "file".*provider "gemini"/i,
    },
  },
  {
    name: "search_result block",
    body: {
      messages: [user([{
        type: "search_result",
        source: "https://kb.test/a",
        title: "SRTITLE",
        content: [text("SRBODY")],
        ...citations,
      }, text("q")])],
    },
    marks: ["SRTITLE", "SRBODY", "https://kb.test/a"],
  },
  {
    name: "container_upload block",
    body: {
      messages: [user([text("UPWORD"), { type: "container_upload", file_id: "file_011UP" }])],
    },
    marks: ["UPWORD", "file_011UP"],
  },
  // ---- tool results ----
  {
    name: "tool_result string",
    body: { messages: toolResult("RESULTSTR"), tools: [RUN_TOOL] },
    marks: ["RESULTSTR"],
  },
  {
    name: "tool_result is_error",
    body: { messages: toolResult([text("FAILWORD")], { is_error: true }), tools: [RUN_TOOL] },
    marks: ["FAILWORD"],
  },
  {
    name: "tool_result with image",
    body: {
      messages: toolResult([text("SHOTWORD"), {
        type: "image",
        source: { type: "base64", media_type: "image/png", data: PNG },
      }]),
      tools: [RUN_TOOL],
    },
    marks: ["SHOTWORD", PNG.slice(0, 20)],
  },
  {
    name: "tool_result with document",
    body: {
      messages: toolResult([{
        type: "document",
        source: { type: "text", media_type: "text/plain", data: "TRDOCWORD" },
      }]),
      tools: [RUN_TOOL],
    },
    marks: ["TRDOCWORD"],
  },
  {
    name: "tool_result with search_result",
    body: {
      messages: toolResult([{
        type: "search_result",
        source: "https://kb.test/b",
        title: "TRSR",
        content: [text("TRSRBODY")],
      }]),
      tools: [RUN_TOOL],
    },
    marks: ["TRSR", "TRSRBODY"],
  },
  {
    name: "tool_result without content",
    body: {
      messages: [
        user("run it"),
        assistant([{ type: "tool_use", id: "toolu_01", name: "Run", input: {} }]),
        user([{ type: "tool_result", tool_use_id: "toolu_01" }]),
      ],
      tools: [RUN_TOOL],
    },
  },
  // ---- assistant turn blocks ----
  {
    name: "text with citations in history",
    body: { messages: afterAssistant([text("CITEANSWER", { citations: cited })]) },
    marks: ["CITEANSWER"],
  },
  {
    name: "thinking and redacted_thinking in history",
    body: {
      messages: afterAssistant([
        { type: "thinking", thinking: "pondering", signature: "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxB" },
        { type: "redacted_thinking", data: "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT" },
        text("THINKANSWER"),
      ]),
      thinking: { type: "enabled", budget_tokens: 2048 },
    },
    marks: ["THINKANSWER"],
  },
  {
    name: "server_tool_use and web_search_tool_result in history",
    body: {
      messages: afterAssistant([
        {
          type: "server_tool_use",
          id: "srvtoolu_01",
          name: "web_search",
          input: { query: "SEARCHQ" },
        },
        {
          type: "web_search_tool_result",
          tool_use_id: "srvtoolu_01",
          content: [{
            type: "web_search_result",
            url: "https://w.test/r",
            title: "WSTITLE",
            encrypted_content: "Eq",
            page_age: null,
          }],
        },
        text("after search"),
      ]),
    },
    marks: ["SEARCHQ", "WSTITLE"],
  },
  {
    name: "web_fetch_tool_result in history",
    body: {
      messages: afterAssistant([
        {
          type: "server_tool_use",
          id: "srvtoolu_02",
          name: "web_fetch",
          input: { url: "https://f.test/p" },
        },
        {
          type: "web_fetch_tool_result",
          tool_use_id: "srvtoolu_02",
          content: {
            type: "web_fetch_result",
            url: "https://f.test/p",
            content: {
              type: "document",
              source: { type: "text", media_type: "text/plain", data: "FETCHBODY" },
              title: "FT",
            },
            retrieved_at: "2026-01-01T00:00:00Z",
          },
        },
      ]),
    },
    marks: ["FETCHBODY"],
  },
  {
    name: "code execution results in history",
    body: {
      messages: afterAssistant([
        {
          type: "server_tool_use",
          id: "srvtoolu_03",
          name: "bash_code_execution",
          input: { command: "echo CODECMD" },
        },
        {
          type: "bash_code_execution_tool_result",
          tool_use_id: "srvtoolu_03",
          content: {
            type: "bash_code_execution_result",
            stdout: "CODEOUT",
            stderr: "",
            return_code: 0,
            content: [],
          },
        },
        {
          type: "server_tool_use",
          id: "srvtoolu_04",
          name: "text_editor_code_execution",
          input: { command: "view", path: "/a" },
        },
        {
          type: "text_editor_code_execution_tool_result",
          tool_use_id: "srvtoolu_04",
          content: {
            type: "text_editor_code_execution_view_result",
            file_type: "text",
            content: "VIEWED",
            num_lines: 1,
            start_line: 1,
            total_lines: 1,
          },
        },
        {
          type: "server_tool_use",
          id: "srvtoolu_05",
          name: "code_execution",
          input: { code: "print(1)" },
        },
        {
          type: "code_execution_tool_result",
          tool_use_id: "srvtoolu_05",
          content: {
            type: "code_execution_result",
            stdout: "PYOUT",
            stderr: "",
            return_code: 0,
            content: [],
          },
        },
      ]),
    },
    marks: ["CODECMD", "CODEOUT", "VIEWED", "PYOUT"],
  },
  {
    name: "mcp_tool_use and mcp_tool_result in history",
    body: {
      messages: afterAssistant([
        {
          type: "mcp_tool_use",
          id: "mcptoolu_01",
          name: "echo",
          server_name: "srv",
          input: { param: "MCPIN" },
        },
        {
          type: "mcp_tool_result",
          tool_use_id: "mcptoolu_01",
          is_error: false,
          content: [text("MCPOUT")],
        },
      ]),
    },
    marks: ["MCPIN", "MCPOUT"],
  },
  {
    name: "tool_search_tool_result in history",
    body: {
      messages: afterAssistant([
        {
          type: "server_tool_use",
          id: "srvtoolu_06",
          name: "tool_search_tool_regex",
          input: { query: "weather" },
        },
        {
          type: "tool_search_tool_result",
          tool_use_id: "srvtoolu_06",
          content: {
            type: "tool_search_tool_search_result",
            tool_references: [{ type: "tool_reference", tool_name: "Run" }],
          },
        },
      ]),
      tools: [RUN_TOOL],
    },
  },
  // ---- conversation shapes ----
  {
    name: "assistant prefill as the last turn",
    body: { messages: [user("PREFILLQ"), assistant([text("PREFILLWORD")])] },
    marks: ["PREFILLQ", "PREFILLWORD"],
  },
  {
    name: "consecutive user turns",
    body: { messages: [user("FIRSTUSER"), user([text("SECONDUSER")])] },
    marks: ["FIRSTUSER", "SECONDUSER"],
  },
  {
    name: "parallel tool calls answered in one turn, with cache_control",
    body: {
      messages: [
        user("run both"),
        assistant([
          text("calling"),
          { type: "tool_use", id: "toolu_A", name: "Run", input: { x: 1 } },
          { type: "tool_use", id: "toolu_B", name: "Run", input: { x: 2 } },
        ]),
        user([
          { type: "tool_result", tool_use_id: "toolu_A", content: "RESULTA" },
          {
            type: "tool_result",
            tool_use_id: "toolu_B",
            content: [text("RESULTB")],
            cache_control: { type: "ephemeral", ttl: "1h" },
          },
          text("AFTERRESULTS"),
        ]),
      ],
      tools: [RUN_TOOL],
    },
    marks: ["RESULTA", "RESULTB", "AFTERRESULTS"],
  },
  {
    name: "a system-role message inside messages",
    body: {
      messages: [user("hi"), { role: "system", content: [text("MIDSYSTEM")] }],
    },
    marks: ["MIDSYSTEM"],
  },
  // ---- top-level parameters ----
  { name: "system string", body: { system: "SYSSTRING" }, marks: ["SYSSTRING"] },
  {
    name: "system array with cache_control ttl 1h",
    body: { system: [text("SYSBLOCK", { cache_control: { type: "ephemeral", ttl: "1h" } })] },
    marks: ["SYSBLOCK"],
  },
  { name: "metadata user_id", body: { metadata: { user_id: "user-1" } } },
  {
    name: "stop_sequences, temperature, top_p, top_k",
    body: { stop_sequences: ["STOPHERE"], temperature: 0.5, top_p: 0.9, top_k: 40 },
  },
  {
    name: "tool_choice any with disable_parallel_tool_use",
    body: { tools: [RUN_TOOL], tool_choice: { type: "any", disable_parallel_tool_use: true } },
  },
  {
    name: "tool_choice tool",
    body: { tools: [RUN_TOOL], tool_choice: { type: "tool", name: "Run" } },
  },
  { name: "tool_choice none", body: { tools: [RUN_TOOL], tool_choice: { type: "none" } } },
  { name: "thinking enabled", body: { thinking: { type: "enabled", budget_tokens: 1024 } } },
  { name: "thinking disabled", body: { thinking: { type: "disabled" } } },
  {
    name: "thinking adaptive with display",
    body: { thinking: { type: "adaptive", display: "summarized" } },
  },
  { name: "service_tier", body: { service_tier: "standard_only" } },
  {
    name: "context_management",
    body: {
      context_management: {
        edits: [{
          type: "clear_tool_uses_20250919",
          trigger: { type: "input_tokens", value: 30000 },
        }],
      },
    },
  },
  { name: "container id", body: { container: "container_011" } },
  {
    name: "container with skills",
    body: {
      container: { skills: [{ type: "anthropic", skill_id: "pptx", version: "latest" }] },
      tools: [{ type: "code_execution_20250825", name: "code_execution" }],
    },
  },
  { name: "speed", body: { speed: "fast" } },
  {
    name: "mcp_servers with an mcp_toolset",
    body: {
      mcp_servers: [{
        type: "url",
        url: "https://mcp.test/sse",
        name: "srv",
        authorization_token: "tok",
      }],
      tools: [{
        type: "mcp_toolset",
        mcp_server_name: "srv",
        default_config: { defer_loading: true },
      }],
    },
  },
  {
    name: "output_format json_schema",
    body: {
      output_format: {
        type: "json_schema",
        schema: { type: "object", properties: { a: { type: "string" } } },
      },
    },
  },
  {
    name: "output_config effort and format",
    body: {
      output_config: {
        effort: "high",
        format: {
          type: "json_schema",
          schema: { type: "object", properties: { a: { type: "string" } } },
        },
      },
    },
  },
  { name: "inference_geo", body: { inference_geo: "us" } },
  // ---- tool kinds ----
  {
    name: "custom tool with strict, input_examples, cache_control",
    body: {
      tools: [{
        type: "custom",
        name: "Lookup",
        description: "LOOKUPDESC",
        input_schema: {
          type: "object",
          properties: { id: { type: "string" } },
          required: ["id"],
          additionalProperties: false,
        },
        strict: true,
        input_examples: [{ id: "EXAMPLEID" }],
        cache_control: { type: "ephemeral", ttl: "1h" },
      }],
    },
    marks: ["LOOKUPDESC"],
    offered: ["EXAMPLEID"],
  },
  {
    name: "deferred tool with tool search",
    body: {
      tools: [
        { type: "tool_search_tool_regex_20251119", name: "tool_search_tool_regex" },
        { name: "Later", description: "d", input_schema: { type: "object" }, defer_loading: true },
        { type: "tool_search_tool_bm25_20251119", name: "tool_search_tool_bm25" },
      ],
    },
  },
  // Tools Anthropic defines, for the client to run: a translated target is offered each as an
  // ordinary tool with the inputs Anthropic documents.
  {
    name: "bash tool, forced",
    body: {
      tools: [{ type: "bash_20250124", name: "bash" }],
      tool_choice: { type: "tool", name: "bash" },
    },
    offered: ["bash", "restart"],
  },
  {
    name: "text_editor tool",
    body: {
      tools: [{
        type: "text_editor_20250728",
        name: "str_replace_based_edit_tool",
        max_characters: 10000,
      }],
    },
    offered: ["str_replace_based_edit_tool", "insert_text", "old_str"],
  },
  {
    name: "computer tool",
    body: {
      tools: [{
        type: "computer_20250124",
        name: "computer",
        display_width_px: 1024,
        display_height_px: 768,
      }],
    },
    offered: ["computer", "coordinate", "1024x768"],
  },
  {
    name: "memory tool",
    body: { tools: [{ type: "memory_20250818", name: "memory" }] },
    offered: ["memory", "new_path"],
  },
  {
    name: "web_search tool",
    webTools: true,
    body: {
      tools: [{
        type: "web_search_20250305",
        name: "web_search",
        max_uses: 3,
        allowed_domains: ["example.com"],
        user_location: { type: "approximate", city: "Paris", country: "FR" },
      }],
    },
  },
  {
    name: "web_fetch tool",
    webTools: true,
    body: {
      tools: [{
        type: "web_fetch_20250910",
        name: "web_fetch",
        max_uses: 2,
        citations: { enabled: true },
        max_content_tokens: 50000,
      }],
    },
  },
  {
    name: "code_execution tool",
    body: { tools: [{ type: "code_execution_20250825", name: "code_execution" }] },
  },
  // ---- the unknown future ----
  {
    name: "an unknown block type",
    body: {
      messages: [user([text("FUTUREQ"), { type: "future_block_2030", payload: "FUTUREPAYLOAD" }])],
    },
    marks: ["FUTUREQ"],
  },
  { name: "an unknown top-level key", body: { future_param_2030: { on: true } } },
  {
    name: "an unknown tool kind",
    body: { tools: [RUN_TOOL, { type: "hologram_20300101", name: "hologram" }] },
  },
];
