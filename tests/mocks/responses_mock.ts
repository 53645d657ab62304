/**
 * An in-process mock of OpenAI's Responses API (`POST <base>/responses`) on 127.0.0.1. It
 * checks requests the way the real API does where ccp could get it wrong (unknown or
 * unsupported parameters, the output-token minimum, stateless reasoning replay, tool-call
 * pairing) and answers in OpenAI's error shape, then streams or returns a scripted answer.
 */

import { responseObject, type ResponsesScript, responsesSse } from "./responses_wire.ts";

/** A request the mock received. */
export interface ResponsesRequestRecord {
  headers: Headers;
  body: Record<string, unknown>;
}

/** A running mock; `url` is the API root ccp's `base_url` takes (ends in /v1). */
export interface ResponsesMock {
  url: string;
  requests: ResponsesRequestRecord[];
  close(): Promise<void>;
}

const KNOWN = new Set([
  "model",
  "input",
  "instructions",
  "tools",
  "tool_choice",
  "parallel_tool_calls",
  "max_output_tokens",
  "temperature",
  "top_p",
  "reasoning",
  "include",
  "store",
  "stream",
  "user",
  "metadata",
  "text",
  "truncation",
  "prompt_cache_key",
  "safety_identifier",
  "service_tier",
  "max_tool_calls",
  "previous_response_id",
]);

const REASONING_MODEL = /(^|\/)(o\d|gpt-5|codex)/i;
// Models the API refuses any reasoning setting for (the GPT-4 family, GPT-5's chat model).
const NO_REASONING = /(^|\/)(gpt-4|gpt-5-chat)/i;

function openAIError(status: number, message: string, param: string | null, code: string | null) {
  return Response.json(
    { error: { message, type: "invalid_request_error", param, code } },
    { status },
  );
}

type Item = Record<string, unknown>;

/** The first problem the real API would report, or undefined. */
function problem(body: Record<string, unknown>): Response | undefined {
  for (const key of Object.keys(body)) {
    if (!KNOWN.has(key)) {
      return openAIError(400, `Unknown parameter: '${key}'.`, key, "unknown_parameter");
    }
  }
  if (typeof body.model !== "string") {
    return openAIError(
      400,
      "Missing required parameter: 'model'.",
      "model",
      "missing_required_parameter",
    );
  }
  const max = body.max_output_tokens;
  if (typeof max === "number" && max < 16) {
    return openAIError(
      400,
      `Invalid 'max_output_tokens': integer below minimum value. Expected a value >= 16, but got ${max} instead.`,
      "max_output_tokens",
      "integer_below_min_value",
    );
  }
  if (REASONING_MODEL.test(body.model)) {
    for (const key of ["temperature", "top_p"]) {
      if (key in body) {
        return openAIError(
          400,
          `Unsupported parameter: '${key}' is not supported with this model.`,
          key,
          "unsupported_parameter",
        );
      }
    }
  }
  const reasoning = body.reasoning;
  if (NO_REASONING.test(body.model) && reasoning && typeof reasoning === "object") {
    const field = Object.keys(reasoning)[0] ?? "effort";
    return openAIError(
      400,
      `Unsupported parameter: 'reasoning.${field}' is not supported with this model.`,
      `reasoning.${field}`,
      "unsupported_parameter",
    );
  }
  // gpt-5-pro takes only `high`, its default.
  const effort = (reasoning as Item | undefined)?.effort;
  if (/(^|\/)gpt-5(\.\d+)?-pro/i.test(body.model) && effort !== undefined && effort !== "high") {
    return openAIError(
      400,
      `Unsupported value: '${effort}' is not supported with the '${body.model}' model. ` +
        "Supported values are: 'high'.",
      "reasoning.effort",
      "unsupported_value",
    );
  }
  if (!Array.isArray(body.input)) {
    return openAIError(
      400,
      "Invalid type for 'input': expected an array.",
      "input",
      "invalid_type",
    );
  }
  const calls = new Set<string>();
  for (const [i, raw] of (body.input as Item[]).entries()) {
    if (raw.type === "function_call") calls.add(String(raw.call_id));
    if (raw.type === "function_call_output" && !calls.has(String(raw.call_id))) {
      return openAIError(
        400,
        `No tool call found for function call output with call_id ${raw.call_id}.`,
        "input",
        null,
      );
    }
    if (raw.type === "reasoning") {
      if (!Array.isArray(raw.summary)) {
        return openAIError(
          400,
          `Missing required parameter: 'input[${i}].summary'.`,
          `input[${i}].summary`,
          "missing_required_parameter",
        );
      }
      if (typeof raw.id === "string" && body.store === false) {
        return openAIError(
          404,
          `Item with id '${raw.id}' not found. Items are not persisted when \`store\` is set to false. Try again with \`store\` set to true, or remove this item from your input.`,
          "input",
          null,
        );
      }
    }
  }
  for (const tool of (body.tools ?? []) as Item[]) {
    if (tool.type === "function" && (typeof tool.name !== "string" || !tool.parameters)) {
      return openAIError(400, "Missing required parameter: 'tools[0].name'.", "tools", null);
    }
  }
  return undefined;
}

/** Starts the mock; `script` picks each answer from the request body. */
export function startResponsesMock(
  script: (body: Record<string, unknown>, n: number) => ResponsesScript,
  options: { key?: string } = {},
): ResponsesMock {
  const requests: ResponsesRequestRecord[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const url = new URL(req.url);
    if (req.method !== "POST" || url.pathname !== "/v1/responses") {
      return openAIError(404, `Invalid URL (${req.method} ${url.pathname})`, null, null);
    }
    const key = options.key ?? "sk-test-responses-key";
    if (req.headers.get("authorization") !== `Bearer ${key}`) {
      return Response.json({
        error: {
          message: "Incorrect API key provided. You can find your API key at the dashboard.",
          type: "invalid_request_error",
          param: null,
          code: "invalid_api_key",
        },
      }, { status: 401 });
    }
    const body = await req.json() as Record<string, unknown>;
    requests.push({ headers: req.headers, body });
    const refused = problem(body);
    if (refused) return refused;
    const answer = script(body, requests.length - 1);
    if (body.stream === true) {
      return new Response(responsesSse(answer, String(body.model)), {
        headers: { "content-type": "text/event-stream; charset=utf-8" },
      });
    }
    return Response.json(responseObject(answer, String(body.model)));
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/v1`,
    requests,
    close: () => server.shutdown(),
  };
}
