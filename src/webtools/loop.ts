/**
 * The web tool loop of one client request: ask the model, run the web searches and fetches it
 * calls, give it the results, ask again -- until it answers, calls a client tool, or has used
 * its rounds. It yields the client's content events as they happen: the model's text streams
 * through, and each call is shown before its result arrives.
 */

import type {
  AnthropicMessage,
  AnthropicStreamEvent,
  ContentBlockParam,
  MessageParam,
  MessagesRequest,
  ToolUseBlock,
} from "../protocols/anthropic.ts";
import { accumulateAnthropicEvents } from "../translate/anthropic/accumulate.ts";
import { type BlockEvent, contentBlockEvents } from "../upstream/message_to_sse.ts";
import {
  type CallOutcome,
  type ClientBlock,
  newServerToolUseId,
  resultBlock,
  resultText,
  serverToolUse,
} from "./blocks.ts";
import type { FetchOutcome } from "./fetch_page.ts";
import type { SearchOutcome } from "./search.ts";
import type { SearchQuery } from "./search_backends.ts";
import { type OfferedWebTool, type WebToolKind, withWebFunctions } from "./tools.ts";

/** What the loop calls out to; everything impure is here. */
export interface LoopDeps {
  /** One model turn through the route's chain, as Anthropic stream events. */
  readonly send: (body: MessagesRequest) => AsyncIterable<AnthropicStreamEvent>;
  readonly search: (query: SearchQuery) => Promise<SearchOutcome>;
  readonly fetchPage: (url: string, tool: OfferedWebTool) => Promise<FetchOutcome>;
  readonly now: () => Date;
}

/** Token and call counts summed over every round, in Anthropic's usage shape. */
export interface LoopUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  server_tool_use: { web_search_requests: number; web_fetch_requests: number };
}

/** How the loop ended. */
export interface LoopEnd {
  readonly stopReason: string;
  readonly stopSequence: string | null;
}

/** A content event of the client's message, numbered in the client's index space. */
export type ContentEvent = BlockEvent;

/** Search results asked of a backend per call. */
const RESULTS_PER_SEARCH = 8;

const TOKEN_FIELDS = [
  "input_tokens",
  "output_tokens",
  "cache_creation_input_tokens",
  "cache_read_input_tokens",
] as const;

/** One client request's loop; `usage` grows as rounds complete. */
export class WebToolLoop {
  readonly usage: LoopUsage = {
    input_tokens: 0,
    output_tokens: 0,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
    server_tool_use: { web_search_requests: 0, web_fetch_requests: 0 },
  };
  readonly #body: MessagesRequest;
  readonly #offered: ReadonlyMap<WebToolKind, OfferedWebTool>;
  readonly #deps: LoopDeps;
  readonly #used = new Map<WebToolKind, number>();
  /** Set when `web_tools` is not configured: the tools are removed and the answer says so. */
  readonly #notice?: string;
  #nextIndex = 0;

  constructor(
    body: MessagesRequest,
    offered: ReadonlyMap<WebToolKind, OfferedWebTool>,
    deps: LoopDeps,
    notice?: string,
  ) {
    this.#body = body;
    this.#offered = offered;
    this.#deps = deps;
    this.#notice = notice;
  }

  /**
   * Runs the loop, yielding the client's content events in order: the model's text and thinking
   * as they stream, each web call and its result as they happen; returns how it ended.
   */
  async *run(): AsyncGenerator<ContentEvent, LoopEnd> {
    if (this.#notice !== undefined) {
      const noticeIndex = this.#nextIndex++;
      const round = this.#round(withWebFunctions(this.#body, [], true));
      let step = await round.next();
      // The notice comes first, once the model has started to answer (a model that cannot be
      // reached is still an HTTP error).
      yield* contentBlockEvents({ type: "text", text: this.#notice }, noticeIndex);
      for (; !step.done; step = await round.next()) yield step.value;
      const message = step.value;
      for (const block of message.content) {
        if (block.type === "tool_use") yield* this.#block({ ...block });
      }
      return { stopReason: message.stop_reason ?? "end_turn", stopSequence: message.stop_sequence };
    }
    let messages: MessageParam[] = [...this.#body.messages];
    // Each round but the last runs at least one call, so this bounds the rounds; it also ends a
    // model that keeps calling a search that fails (which uses none of max_uses).
    const maxRounds = [...this.#offered.values()].reduce((n, t) => n + t.maxUses, 0) + 2;
    for (let round = 0;; round++) {
      const kinds = [...this.#offered.values()]
        .filter((t) => (this.#used.get(t.kind) ?? 0) < t.maxUses)
        .map((t) => t.kind);
      const body = withWebFunctions({ ...this.#body, messages }, kinds, round === 0);
      const message: AnthropicMessage = yield* this.#round(body);
      const clientCalls: ClientBlock[] = [];
      const results: ContentBlockParam[] = [];
      for (const block of message.content) {
        if (block.type !== "tool_use") continue;
        const kind = this.#webCall(block);
        if (kind === undefined) {
          clientCalls.push({ ...block });
          continue;
        }
        const id = newServerToolUseId();
        yield* this.#block(serverToolUse(id, kind, block.input));
        const outcome = await this.#run(kind, block.input);
        yield* this.#block(resultBlock(id, outcome, this.#deps.now()));
        results.push({
          type: "tool_result",
          tool_use_id: block.id,
          content: resultText(outcome),
          ...(outcome.outcome.ok ? {} : { is_error: true }),
        });
      }
      if (clientCalls.length > 0 || results.length === 0 || round + 1 >= maxRounds) {
        for (const block of clientCalls) yield* this.#block(block);
        const stopReason = clientCalls.length > 0
          ? "tool_use"
          : results.length > 0
          ? "end_turn"
          : message.stop_reason ?? "end_turn";
        return { stopReason, stopSequence: results.length > 0 ? null : message.stop_sequence };
      }
      messages = [
        ...messages,
        { role: "assistant", content: message.content as ContentBlockParam[] },
        { role: "user", content: results },
      ];
    }
  }

  /**
   * One model round: text and thinking pass through live (renumbered); tool calls are held until
   * the round ends, when it is known which are web calls. Returns the round's whole message.
   */
  async *#round(body: MessagesRequest): AsyncGenerator<ContentEvent, AnthropicMessage> {
    const events: AnthropicStreamEvent[] = [];
    const live = new Map<number, number>();
    const before = { ...this.usage };
    for await (const event of this.#deps.send(body)) {
      events.push(event);
      switch (event.type) {
        case "message_start":
          this.#count(before, event.message.usage);
          break;
        case "content_block_start":
          if (event.content_block.type === "tool_use") break;
          live.set(event.index, this.#nextIndex++);
          yield { ...event, index: live.get(event.index)! };
          break;
        case "content_block_delta":
        case "content_block_stop": {
          const index = live.get(event.index);
          if (index !== undefined) yield { ...event, index };
          break;
        }
        default:
          break;
      }
    }
    const message = accumulateAnthropicEvents(events);
    this.#count(before, message.usage);
    return message;
  }

  /** The round's usage so far on top of what earlier rounds used. */
  #count(before: LoopUsage, usage: unknown): void {
    const u = (usage ?? {}) as Partial<Record<(typeof TOKEN_FIELDS)[number], number>>;
    for (const field of TOKEN_FIELDS) this.usage[field] = before[field] + (u[field] ?? 0);
  }

  /** A complete block as the client's next content events. */
  *#block(block: ClientBlock): Generator<ContentEvent> {
    yield* contentBlockEvents(block, this.#nextIndex++);
  }

  /** The web tool a model's call is for, when the client offered that tool. */
  #webCall(block: ToolUseBlock): WebToolKind | undefined {
    const kind = block.name === "web_search" || block.name === "web_fetch" ? block.name : undefined;
    return kind && this.#offered.has(kind) ? kind : undefined;
  }

  async #run(kind: WebToolKind, input: unknown): Promise<CallOutcome> {
    const tool = this.#offered.get(kind)!;
    const used = this.#used.get(kind) ?? 0;
    const args = (typeof input === "object" && input !== null ? input : {}) as Record<
      string,
      unknown
    >;
    if (used >= tool.maxUses) {
      const detail = `${kind} may be used at most ${tool.maxUses} times in one request`;
      const outcome = { ok: false, code: "max_uses_exceeded", detail } as const;
      return kind === "web_search" ? { kind, outcome } : { kind, outcome };
    }
    if (kind === "web_search") {
      const query = typeof args.query === "string" ? args.query : "";
      const outcome = await this.#deps.search({
        query,
        count: RESULTS_PER_SEARCH,
        ...(tool.allowedDomains ? { allowedDomains: tool.allowedDomains } : {}),
        ...(tool.blockedDomains ? { blockedDomains: tool.blockedDomains } : {}),
      });
      // Counted as Anthropic bills searches, use by use: one that errs is none (and leaves its use
      // of max_uses), one without results is one.
      if (outcome.ok) {
        this.#used.set(kind, used + 1);
        this.usage.server_tool_use.web_search_requests++;
      }
      return { kind, outcome };
    }
    // Every fetch attempt takes one use, failed or not: it is a request to an address of the
    // model's choosing, which max_uses bounds.
    this.#used.set(kind, used + 1);
    const url = typeof args.url === "string" ? args.url : "";
    const outcome = await this.#deps.fetchPage(url, tool);
    // Counted as searches are: a fetch that failed is none.
    if (outcome.ok) this.usage.server_tool_use.web_fetch_requests++;
    return { kind, outcome };
  }
}
