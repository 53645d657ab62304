/**
 * The web tool loop of one client request: ask the model, run the web searches and fetches it
 * calls, give it the results, ask again — until it answers, calls a client tool, or has used
 * its rounds. It yields the client's content blocks as they become known, so that a stream can
 * show each call before its result arrives.
 */

import type {
  AnthropicMessage,
  ContentBlockParam,
  MessageParam,
  MessagesRequest,
  ToolUseBlock,
} from "../protocols/anthropic.ts";
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
  /** One model turn through the route's chain, as a complete message. */
  readonly send: (body: MessagesRequest) => Promise<AnthropicMessage>;
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

/** Search results asked of a backend per call. */
const RESULTS_PER_SEARCH = 8;

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

  /** Runs the loop, yielding client blocks in order; returns how it ended. */
  async *run(): AsyncGenerator<ClientBlock, LoopEnd> {
    if (this.#notice !== undefined) {
      const message = await this.#send(withWebFunctions(this.#body, [], true));
      yield { type: "text", text: this.#notice };
      for (const block of message.content) yield block as unknown as ClientBlock;
      return { stopReason: message.stop_reason ?? "end_turn", stopSequence: message.stop_sequence };
    }
    let messages: MessageParam[] = [...this.#body.messages];
    // Each round but the last runs at least one call, so this bounds the rounds.
    const maxRounds = [...this.#offered.values()].reduce((n, t) => n + t.maxUses, 0) + 2;
    for (let round = 0;; round++) {
      const kinds = [...this.#offered.values()]
        .filter((t) => (this.#used.get(t.kind) ?? 0) < t.maxUses)
        .map((t) => t.kind);
      const body = withWebFunctions({ ...this.#body, messages }, kinds, round === 0);
      const message = await this.#send(body);
      const clientCalls: ClientBlock[] = [];
      const results: ContentBlockParam[] = [];
      for (const block of message.content) {
        const kind = block.type === "tool_use" ? this.#webCall(block) : undefined;
        if (block.type === "tool_use" && kind === undefined) {
          clientCalls.push(block as unknown as ClientBlock);
          continue;
        }
        if (kind === undefined) {
          yield block as unknown as ClientBlock;
          continue;
        }
        const call = block as ToolUseBlock;
        const id = newServerToolUseId();
        yield serverToolUse(id, kind, call.input);
        const outcome = await this.#run(kind, call.input);
        yield resultBlock(id, outcome, this.#deps.now());
        results.push({
          type: "tool_result",
          tool_use_id: call.id,
          content: resultText(outcome),
          ...(outcome.outcome.ok ? {} : { is_error: true }),
        });
      }
      if (clientCalls.length > 0 || results.length === 0 || round + 1 >= maxRounds) {
        for (const block of clientCalls) yield block;
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

  async #send(body: MessagesRequest): Promise<AnthropicMessage> {
    // Rounds are read whole: the client's stream is written by ccp, not relayed.
    const message = await this.#deps.send({ ...body, stream: false });
    const u = message.usage as Partial<LoopUsage> | undefined;
    this.usage.input_tokens += u?.input_tokens ?? 0;
    this.usage.output_tokens += u?.output_tokens ?? 0;
    this.usage.cache_creation_input_tokens += u?.cache_creation_input_tokens ?? 0;
    this.usage.cache_read_input_tokens += u?.cache_read_input_tokens ?? 0;
    return message;
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
    this.#used.set(kind, used + 1);
    if (kind === "web_search") {
      this.usage.server_tool_use.web_search_requests++;
      const query = typeof args.query === "string" ? args.query : "";
      return {
        kind,
        outcome: await this.#deps.search({
          query,
          count: RESULTS_PER_SEARCH,
          ...(tool.allowedDomains ? { allowedDomains: tool.allowedDomains } : {}),
          ...(tool.blockedDomains ? { blockedDomains: tool.blockedDomains } : {}),
        }),
      };
    }
    this.usage.server_tool_use.web_fetch_requests++;
    const url = typeof args.url === "string" ? args.url : "";
    return { kind, outcome: await this.#deps.fetchPage(url, tool) };
  }
}
