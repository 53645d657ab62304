/** What the Chat Completions translator is told about the request it answers. */

import type { OpenAIDialect } from "./dialect.ts";
import type { OfferedTool } from "./text_tool_parse.ts";

/** What the translator needs to know about the request it answers. */
export interface TranslateOptions {
  /** The model name the client asked for; every answer carries it. */
  readonly clientModel: string;
  /** ccp's local count of the prompt (never 0 for a non-empty prompt). */
  readonly inputTokens: number;
  /** Provider id and upstream model, recorded in thinking signatures. */
  readonly provider: string;
  readonly upstreamModel: string;
  /** A tag of the server answering (server_key.ts), recorded in thinking signatures too. */
  readonly server?: string;
  /** The provider's dialect (default: generic); model patches are applied here. */
  readonly dialect?: OpenAIDialect;
  /** The request's `stop_sequences`, to recognise a matched one the server reveals. */
  readonly stopSequences?: readonly string[];
  readonly messageId?: string;
  /** Report ccp's own input count in `message_delta` even when the upstream sends one. */
  readonly preferLocalInputTokens?: boolean;
  /** Tools the request offered; a tool call written as text must name one of them. */
  readonly tools?: readonly OfferedTool[];
  /** Upstream name -> client name, for tools renamed to fit the wire's name rule. */
  readonly toolNames?: ReadonlyMap<string, string>;
  /** The ids of the request's tool calls: an answer's call must not repeat one of them. */
  readonly historyToolIds?: ReadonlySet<string>;
  /**
   * The request offered a tool named `no_tool` itself: a call of that name is then the model's,
   * not Text Generation Inference's grammar answering without a tool.
   */
  readonly offeredNoTool?: boolean;
  /**
   * The client shows no thinking (`thinking.display: "omitted"`): thinking blocks come empty, as
   * Anthropic's do, and the reasoning rides their signature where the dialect replays it.
   */
  readonly omitThinking?: boolean;
}
