/**
 * How each local server's Anthropic-compatible endpoint writes its answers (Ollama, llama.cpp's
 * llama-server, vLLM, LM Studio), as data for the mock in local_servers.ts: read from the servers'
 * own answer-writing code (LM Studio, closed source, from its documentation).
 */

/** How one server writes its answers. */
export interface Dialect {
  readonly id: "ollama" | "llamacpp" | "vllm" | "lmstudio";
  /** Message ids: Ollama `msg_<24 hex>`, llama.cpp and vLLM pass their OpenAI `chatcmpl-…` id. */
  readonly messageId: string;
  /** Tool call ids: Ollama `call_<8>`, llama.cpp 32 letters and digits, vLLM `chatcmpl-tool-…`. */
  readonly toolId: (n: number) => string;
  /** A `ping` right after `message_start` (Anthropic does; the open-source servers never do). */
  readonly ping: boolean;
  /** `message_start.message` fields the server leaves out. */
  readonly startOmits: readonly string[];
  /** `message_start` usage carries `cache_read_input_tokens` (llama.cpp: its prompt cache). */
  readonly startCacheRead: boolean;
  /** The `content_block` of a thinking block's start. */
  readonly thinkingStart: Readonly<Record<string, unknown>>;
  /** The `signature_delta` sent before a thinking block's stop: none, an empty one, or a value. */
  readonly signature: "none" | "empty" | "value";
  /** Blocks stopped each before the next starts, or all at the end (llama.cpp). */
  readonly closing: "each" | "at_end";
  /** A tool_use start carries `input: {}` (llama.cpp's has only id and name). */
  readonly toolStartInput: boolean;
  /** Tool arguments as one `input_json_delta` (Ollama) or in the pieces generated. */
  readonly argsWhole: boolean;
  /** `message_delta.usage` fields. */
  readonly deltaUsage: readonly ("input_tokens" | "output_tokens")[];
  /** `message_delta.delta` carries `stop_sequence: null` (Ollama and vLLM leave it out). */
  readonly deltaStopSequence: boolean;
  /**
   * An error once streaming began: an Anthropic `error` event, llama.cpp's `event: error` whose
   * data is its OpenAI-style error object, or the stream just ending (Ollama writes the error
   * into a chunk its converter turns into nothing).
   */
  readonly midStreamError: "anthropic" | "openai_object" | "cut";
  /** An error before streaming: Anthropic's shape, or llama.cpp's OpenAI `{error: {code, …}}`. */
  readonly httpError: "anthropic" | "openai";
  /** The error type the server puts on a 400 (vLLM passes its OpenAI exception names). */
  readonly badRequestType: string;
  /**
   * `message_start` goes out with the first generated token's chunk only (llama.cpp writes it
   * when its decoded count is 1, and holds a token that is part of a UTF-8 character back): an
   * answer that opens with half a character streams no `message_start` at all.
   */
  readonly startWithFirstToken: boolean;
  /** Answers POST /v1/messages/count_tokens. */
  readonly countTokens: boolean;
  /** A JSON answer with no blocks: Ollama writes its nil slice as `content: null`. */
  readonly emptyContent: null | readonly never[];
  /** A JSON tool call without arguments has no `input` at all (Ollama's omitzero). */
  readonly jsonOmitsEmptyInput: boolean;
  /**
   * How it refuses an image its model cannot read (loaded without its vision part), where its
   * code (or its users' reports) says: llama-server's multimodal check throws a plain exception,
   * answered as a 500; Ollama's runner a 500 too; LM Studio's "Model does not support images".
   */
  readonly imageRefusal?: { readonly status: number; readonly message: string };
}

const hex = (n: number, width: number) => n.toString(16).padStart(width, "0");

/** The four servers, as their code (or docs) writes answers. */
export const DIALECTS: readonly Dialect[] = [
  {
    id: "ollama",
    startWithFirstToken: false,
    messageId: `msg_${hex(0xa1b2c3, 24)}`,
    toolId: (n) => `call_${hex(n, 8)}`,
    ping: false,
    startOmits: ["stop_reason", "stop_sequence"],
    startCacheRead: false,
    thinkingStart: { type: "thinking", thinking: "" },
    signature: "none",
    closing: "each",
    toolStartInput: true,
    argsWhole: true,
    deltaUsage: ["input_tokens", "output_tokens"],
    deltaStopSequence: false,
    midStreamError: "cut",
    httpError: "anthropic",
    badRequestType: "invalid_request_error",
    countTokens: false,
    emptyContent: null,
    jsonOmitsEmptyInput: true,
    // Its runner's error for an image given to a model without a vision part, a 500 before any
    // token, which its Anthropic endpoint words as an `api_error`.
    imageRefusal: { status: 500, message: "this model is missing data required for image input" },
  },
  {
    id: "llamacpp",
    startWithFirstToken: true,
    messageId: "chatcmpl-Zq3xW8vLk2PmN5rT7yHb4cJd6fGs1aEo",
    toolId: (n) => `Xk${hex(n, 4)}9PqLmN3vB7cZ1tR5wY8uE2iO4aS6d`,
    ping: false,
    startOmits: [],
    startCacheRead: true,
    thinkingStart: { type: "thinking", thinking: "" },
    signature: "empty",
    closing: "at_end",
    toolStartInput: false,
    argsWhole: false,
    deltaUsage: ["output_tokens"],
    deltaStopSequence: true,
    midStreamError: "openai_object",
    httpError: "openai",
    badRequestType: "invalid_request_error",
    countTokens: true,
    emptyContent: [],
    jsonOmitsEmptyInput: false,
    imageRefusal: {
      status: 500,
      message: "image input is not supported - hint: if this is unexpected, you may need to " +
        "provide the mmproj",
    },
  },
  {
    id: "vllm",
    startWithFirstToken: false,
    messageId: "chatcmpl-9f1c2d3e4b5a69788796a5b4c3d2e1f0",
    toolId: (n) => `chatcmpl-tool-${hex(n, 32)}`,
    ping: false,
    startOmits: ["type", "role"],
    startCacheRead: false,
    thinkingStart: { type: "thinking", thinking: "" },
    signature: "value",
    closing: "each",
    toolStartInput: true,
    argsWhole: false,
    deltaUsage: ["input_tokens", "output_tokens"],
    deltaStopSequence: false,
    midStreamError: "anthropic",
    httpError: "anthropic",
    badRequestType: "BadRequestError",
    countTokens: true,
    emptyContent: [],
    jsonOmitsEmptyInput: false,
  },
  {
    id: "lmstudio",
    startWithFirstToken: false,
    messageId: "msg_lmstudio_0001",
    toolId: (n) => `toolu_lms_${hex(n, 8)}`,
    ping: true,
    startOmits: [],
    startCacheRead: false,
    thinkingStart: { type: "thinking", thinking: "", signature: "" },
    signature: "none",
    closing: "each",
    toolStartInput: true,
    argsWhole: false,
    deltaUsage: ["output_tokens"],
    deltaStopSequence: true,
    midStreamError: "anthropic",
    httpError: "anthropic",
    badRequestType: "invalid_request_error",
    countTokens: false,
    emptyContent: [],
    jsonOmitsEmptyInput: false,
    // Its words for an image sent to a model loaded without vision, as its users report them
    // from its REST API (the status is not documented: a 400, a refusal of the request).
    imageRefusal: {
      status: 400,
      message: "Model does not support images. Please use a model that does.",
    },
  },
];
