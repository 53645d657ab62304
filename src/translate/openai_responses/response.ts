/**
 * The non-streaming path: a finished response object is replayed as the events a stream
 * would have carried, fed through the same translator, and accumulated into a Message.
 */

import { upstreamWho } from "../../core/text.ts";
import { UpstreamError } from "../../core/errors.ts";
import { isRecord } from "../../core/json.ts";
import { clientErrorOfType } from "../../core/upstream_status.ts";
import type { AnthropicMessage } from "../../protocols/anthropic.ts";
import type {
  ResponsesOutputItem,
  ResponsesResponse,
  ResponsesStreamEvent,
} from "../../protocols/openai_responses.ts";
import { accumulateAnthropicEvents } from "../anthropic/accumulate.ts";
import { errorFields, reportedError } from "./errors.ts";
import { ResponsesToAnthropicTranslator, type ResponsesTranslateOptions } from "./translator.ts";

/** The parts of an item's list field; an answer's other shapes are read as none. */
function partsOf(list: unknown): { type?: unknown; text?: unknown; refusal?: unknown }[] {
  return Array.isArray(list) ? list.filter(isRecord) : [];
}

function itemEvents(item: ResponsesOutputItem, index: number): ResponsesStreamEvent[] {
  const at = {
    output_index: index,
    item_id: typeof item.id === "string" ? item.id : `item_${index}`,
  };
  const events: ResponsesStreamEvent[] = [];
  if (item.type === "message") {
    for (const part of partsOf(item.content)) {
      const text = part.type === "output_text"
        ? part.text
        : part.type === "refusal"
        ? part.refusal
        : "";
      if (typeof text === "string" && text) {
        events.push({ type: "response.output_text.delta", ...at, delta: text });
      }
    }
    return events;
  }
  if (item.type === "reasoning") {
    events.push({ type: "response.output_item.added", ...at, item: { ...item, summary: [] } });
    const summary = partsOf(item.summary);
    summary.forEach((part, summary_index) => {
      if (typeof part.text === "string" && part.text) {
        events.push({
          type: "response.reasoning_summary_text.delta",
          ...at,
          summary_index,
          delta: part.text,
        });
      }
    });
    // Open-weight models served behind this API give their raw reasoning as `content`
    // (`reasoning_text` parts) instead of a summary; a stream carries it as its own deltas.
    if (!summary.some((part) => typeof part.text === "string" && part.text)) {
      partsOf(item.content).forEach((part, content_index) => {
        if (part.type === "reasoning_text" && typeof part.text === "string" && part.text) {
          events.push({
            type: "response.reasoning_text.delta",
            ...at,
            content_index,
            delta: part.text,
          });
        }
      });
    }
  }
  events.push({ type: "response.output_item.done", ...at, item: { ...item, id: at.item_id } });
  return events;
}

/** The events a stream would have carried for `response`. */
function responseEvents(response: ResponsesResponse): ResponsesStreamEvent[] {
  const output = (Array.isArray(response.output) ? response.output : []).filter(
    isRecord,
  ) as ResponsesOutputItem[];
  const final = response.status === "failed"
    ? "response.failed"
    : response.status === "incomplete"
    ? "response.incomplete"
    : "response.completed";
  return [
    { type: "response.created", response: { ...response, output: [] } },
    ...output.flatMap((item, index) => itemEvents(item, index)),
    { type: final, response },
  ];
}

/** Translates a non-streaming Responses answer into an Anthropic Message. */
export function responsesResponseToAnthropic(
  response: unknown,
  options: ResponsesTranslateOptions,
): AnthropicMessage {
  const who = upstreamWho(options);
  if (typeof response !== "object" || response === null || Array.isArray(response)) {
    throw new UpstreamError("api_error", `${who} returned a non-object body`, { status: 502 });
  }
  const body = response as ResponsesResponse;
  if (body.status === "failed" || (body.error && body.status !== "completed")) {
    const fields = errorFields(body.error ?? {});
    const said = `${who} failed: ${fields.message ?? "status failed"}`;
    const { type, message } = reportedError(said, fields);
    // The status follows the error: an over-long prompt is the request's fault (400), not a
    // gateway failure Claude Code would retry unchanged.
    throw new UpstreamError(type, message, { status: clientErrorOfType(type).status });
  }
  const translator = new ResponsesToAnthropicTranslator(options);
  const events = responseEvents(body).flatMap((e) => translator.push(e));
  if (!translator.done) events.push(...translator.end());
  return accumulateAnthropicEvents(events);
}
