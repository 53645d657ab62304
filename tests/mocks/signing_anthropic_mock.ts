/**
 * An Anthropic-compatible upstream that signs its thinking and checks the thinking it is sent back,
 * as each kind of server does:
 * - `maker: "anthropic"`, `verifies: true`: the real API, or a gateway in front of it (OpenRouter's
 *   `anthropic/*`, Bedrock or Vertex behind a gateway). Claude's signatures are valid on every
 *   Anthropic platform, so these share one key; a block signed otherwise, or unsigned, gets
 *   Anthropic's 400 "Invalid `signature` in `thinking` block".
 * - another maker (Kimi's, GLM's, DeepSeek's `/anthropic`): signs with its own key. With
 *   `verifies: false` it takes any thinking back, as those endpoints are documented to.
 * Every answer is a thinking block, a redacted thinking block and a text block, each thinking
 * block signed (its `signature`, the redacted block's `data`) with the maker's key.
 */

import { blockEvents, closingEvents, openingMessage, sseEvent } from "./anthropic_fixtures.ts";
import { anthropicErrorBody, encodeEvents } from "./anthropic_fixtures.ts";

export interface SigningMockOptions {
  maker: string;
  verifies: boolean;
}

export interface SigningMock {
  url: string;
  /** The bodies received, in order. */
  bodies: Array<Record<string, unknown>>;
  /** How many were refused for a signature. */
  refused: number;
  close(): Promise<void>;
}

type Block = Record<string, unknown>;

/** A signature only `maker` can make for `text` (stands in for a keyed MAC). */
export function signFor(maker: string, text: string): string {
  return btoa(`${maker}|${text}`);
}

function madeBy(maker: string, text: string, signature: unknown): boolean {
  return signature === signFor(maker, text);
}

/** The first block this server cannot verify, as `messages.i.content.j`, or undefined. */
function unverifiable(maker: string, body: Record<string, unknown>): string | undefined {
  const messages = body.messages as Array<{ role: string; content: unknown }>;
  for (const [i, message] of messages.entries()) {
    if (message.role !== "assistant" || !Array.isArray(message.content)) continue;
    for (const [j, block] of (message.content as Block[]).entries()) {
      const ok = block.type === "thinking"
        ? madeBy(maker, String(block.thinking), block.signature)
        : block.type === "redacted_thinking"
        ? typeof block.data === "string" && atob(block.data).startsWith(`${maker}|redacted `)
        : true;
      if (!ok) return `messages.${i}.content.${j}`;
    }
  }
  return undefined;
}

/**
 * An answer's blocks: thinking, redacted thinking and text, all signed by `maker`; `n` tells one
 * answer from another (ccp remembers signatures for as long as it runs, across tests).
 */
export function signedBlocks(maker: string, n: string): Block[] {
  const thinking = `${maker} thought ${n}`;
  return [
    { type: "thinking", thinking, signature: signFor(maker, thinking) },
    { type: "redacted_thinking", data: signFor(maker, `redacted ${n}`) },
    { type: "text", text: `${maker} answer ${n}` },
  ];
}

export function startSigningMock(options: SigningMockOptions): SigningMock {
  const mock: SigningMock = { url: "", bodies: [], refused: 0, close: async () => {} };
  const tag = crypto.randomUUID().slice(0, 8);
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json() as Record<string, unknown>;
    mock.bodies.push(body);
    const where = options.verifies ? unverifiable(options.maker, body) : undefined;
    if (where) {
      mock.refused++;
      return Response.json(
        anthropicErrorBody(
          "invalid_request_error",
          `${where}: Invalid \`signature\` in \`thinking\` block`,
        ),
        { status: 400 },
      );
    }
    const blocks = signedBlocks(options.maker, `${tag} ${mock.bodies.length}`);
    const model = String(body.model);
    const usage = { input_tokens: 10, output_tokens: 5 };
    if (body.stream !== true) {
      return Response.json({
        ...openingMessage(`msg_${options.maker}_${mock.bodies.length}`, model, usage),
        content: blocks,
        stop_reason: "end_turn",
      });
    }
    const events = [
      sseEvent("message_start", {
        message: openingMessage(`msg_${options.maker}_${mock.bodies.length}`, model, usage),
      }),
      ...blockEvents(0, { type: "thinking", thinking: "", signature: "" }, [
        { type: "thinking_delta", thinking: blocks[0]!.thinking },
        { type: "signature_delta", signature: blocks[0]!.signature },
      ]),
      ...blockEvents(1, blocks[1]!, []),
      ...blockEvents(2, { type: "text", text: "" }, [{
        type: "text_delta",
        text: blocks[2]!.text,
      }]),
      ...closingEvents("end_turn", 5),
    ];
    return new Response(encodeEvents(events), {
      headers: { "content-type": "text/event-stream; charset=utf-8" },
    });
  });
  mock.url = `http://127.0.0.1:${server.addr.port}`;
  mock.close = () => server.shutdown();
  return mock;
}
