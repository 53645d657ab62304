/**
 * A Claude Code session replayed request by request through one token cache: each request must
 * tokenise only what is new in it, however long the history. The bodies follow what Claude Code
 * 2.1.332 sent through ccp in a recorded 32-turn session (`claude -p --continue`, Write, Read,
 * Bash and Edit on a scratch project): between two requests the history stays byte for byte
 * except that `cache_control` moves from the last tool result to the new last block, and a
 * prompt sent as a text block is sent again as a plain string once the next turn starts.
 */
import assert from "node:assert/strict";
import { countRequestTokens, TokenCache } from "../../src/tokens/mod.ts";
// Loads the tokenizer: counts are synchronous.
import "./helpers.ts";

type Block = Record<string, unknown>;
type Message = { role: string; content: string | Block[] };

const EPHEMERAL = { type: "ephemeral" };
const PROJECT = "/tmp/growth-5da59bc6dda8e961/work";
const WORDS = [
  "alpha",
  "river",
  "stone",
  "cloud",
  "ember",
  "lantern",
  "quartz",
  "meadow",
  "harbor",
];

function tool(name: string, description: string, properties: Record<string, unknown>): Block {
  return {
    name,
    description,
    input_schema: {
      $schema: "https://json-schema.org/draft/2020-12/schema",
      type: "object",
      properties,
      required: Object.keys(properties),
      additionalProperties: false,
    },
  };
}

const TOOLS: Block[] = [
  tool("Bash", "Executes a given bash command and returns its output.", {
    command: { type: "string", description: "The command to execute" },
    description: { type: "string", description: "What the command does, in a few words" },
  }),
  tool("Edit", "Performs exact string replacements in files.", {
    file_path: { type: "string" },
    old_string: { type: "string" },
    new_string: { type: "string" },
  }),
  tool("Read", "Reads a file from the local filesystem.", { file_path: { type: "string" } }),
  tool("Write", "Writes a file to the local filesystem.", {
    file_path: { type: "string" },
    content: { type: "string" },
  }),
  {
    name: "DeferredToolPlaceholder",
    description:
      "Reserved placeholder that keeps deferred tool loading active; never call this tool.",
    input_schema: { type: "object", properties: {} },
    defer_loading: true,
  },
];

const SYSTEM: Block[] = [
  {
    type: "text",
    text: "You are a Claude agent, built on Anthropic's Claude Agent SDK.",
    cache_control: EPHEMERAL,
  },
  {
    type: "text",
    text: "\nYou are an agent working with the user toward their goals.\n".repeat(60),
    cache_control: EPHEMERAL,
  },
];

const REMINDER = "<system-reminder>\nAttribution for git commits and pull requests you create " +
  "from here on: add no attribution lines.\n</system-reminder>\n";

function moduleText(turn: number): string {
  const lines = [`// module ${turn}`, `export const MARKER_${turn} = ${turn};`];
  for (let i = 0; i < 40; i++) {
    const word = WORDS[(i * 7 + turn) % WORDS.length];
    lines.push(
      `export function ${word}_${turn}_${i}(x: number): number { return x * ${i + turn}; }`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/** The four tool rounds of a turn as the recorded session made them: [input, result] each. */
function rounds(turn: number): Array<[string, Record<string, unknown>, string]> {
  const path = `${PROJECT}/mod_${turn}.ts`;
  const text = moduleText(turn);
  const numbered = text.split("\n").map((line, i) => `${i + 1}\t${line}`).join("\n");
  const returns = text.split("\n").filter((line) => line.includes("return")).join("\n");
  const current = " (file state is current in your context — no need to Read it back)";
  return [
    [
      "Write",
      { file_path: path, content: text },
      `File created successfully at: ${path}${current}`,
    ],
    ["Read", { file_path: path }, numbered],
    ["Bash", { command: `grep -n return ${path}`, description: "List returns" }, returns],
    [
      "Edit",
      { file_path: path, old_string: `MARKER_${turn} = ${turn}`, new_string: `EDITED_${turn}` },
      `The file ${path} has been updated successfully.${current}`,
    ],
  ];
}

/** One request, with the texts it adds to the request before it. */
interface Request {
  body: Record<string, unknown>;
  added: string[];
}

/**
 * The newest message as Claude Code first sends it: a tool result with `cache_control`, a later
 * turn's prompt as a text block with `cache_control` (a plain string in every later request).
 */
function asFirstSent(message: Message, turn: number): Message {
  if (typeof message.content === "string") {
    const text = { type: "text", text: message.content, cache_control: EPHEMERAL };
    return turn === 1 ? message : { ...message, content: [text] };
  }
  const blocks = message.content;
  const marked = blocks.map((b, i) =>
    i === blocks.length - 1 ? { ...b, cache_control: EPHEMERAL } : b
  );
  return turn === 1 && blocks[0]?.type === "text" ? message : { ...message, content: marked };
}

/**
 * The requests of a session of `turns` turns, in order: each turn is a prompt, four tool rounds
 * (an assistant message with the turn's thinking and a tool call, then its result) and a closing
 * text; each request is the one before with the next step appended.
 */
function session(turns: number): Request[] {
  const messages: Message[] = [];
  const requests: Request[] = [];
  const send = (turn: number, added: string[]) => {
    const sent = [...messages.slice(0, -1), asFirstSent(messages.at(-1)!, turn)];
    requests.push({
      body: {
        model: "claude-opus-5-5",
        system: SYSTEM,
        tools: TOOLS,
        messages: structuredClone(sent),
        thinking: { type: "adaptive", display: "omitted" },
        max_tokens: 128000,
        stream: true,
      },
      added,
    });
  };
  for (let turn = 1; turn <= turns; turn++) {
    const prompt = `GROWTH TURN ${turn}: write mod_${turn}.ts, read it, list its returns, edit it.`;
    if (turn === 1) {
      messages.push({
        role: "user",
        content: [{ type: "text", text: REMINDER }, { type: "text", text: prompt }],
      });
      send(turn, [REMINDER, prompt]);
    } else {
      messages.push({ role: "user", content: prompt });
      send(turn, [`Turn ${turn - 1} done.`, prompt]);
    }
    rounds(turn).forEach(([name, input, result], step) => {
      const thinking = `Turn ${turn}, step ${step}: next I call ${name} on mod_${turn}.ts.`;
      const id = `toolu_g${turn}_${step}`;
      messages.push({
        role: "assistant",
        content: [
          { type: "thinking", thinking, signature: "c2lnbmF0dXJl" },
          { type: "tool_use", id, name, input },
        ],
      });
      messages.push({
        role: "user",
        content: [{ type: "tool_result", tool_use_id: id, content: result }],
      });
      send(turn, [thinking, JSON.stringify(input), result]);
    });
    messages.push({ role: "assistant", content: [{ type: "text", text: `Turn ${turn} done.` }] });
  }
  return requests;
}

Deno.test("a session's next request tokenises only what it adds (replayed from Claude Code's shapes)", () => {
  const requests = session(3);
  const cache = new TokenCache(32_768, 16 * 1024 * 1024);
  for (const [index, { body, added }] of requests.entries()) {
    const before = cache.stats;
    const tokens = countRequestTokens(body, { cache });
    const after = cache.stats;
    // Nothing already counted is tokenised again: the misses are the new texts, one each.
    if (index > 0) {
      const newChars = added.reduce((sum, text) => sum + text.length, 0);
      assert.equal(after.misses - before.misses, added.length, `request ${index}: misses`);
      assert.equal(after.chars - before.chars, newChars, `request ${index}: new characters`);
    }
    assert.equal(tokens, countRequestTokens(body, { cache: null }), `request ${index}: the count`);
  }
});

Deno.test("a long session's requests each tokenise the same few texts, however long the history", () => {
  const requests = session(40);
  const cache = new TokenCache(32_768, 16 * 1024 * 1024);
  const misses: number[] = [];
  for (const { body } of requests) {
    const before = cache.stats.misses;
    countRequestTokens(body, { cache });
    misses.push(cache.stats.misses - before);
  }
  const last = requests.at(-1)!.body;
  assert.equal(JSON.stringify(last).length > 300_000, true, "the history grew to hundreds of KB");
  // After the first (system prompt, tools), each request misses exactly its new texts, the
  // 200th as the 2nd: a prompt and the closing text before it, or a round's three.
  assert.deepEqual(misses.slice(1), requests.slice(1).map(({ added }) => added.length));
  // Each text is held once: the cache grows with what the session added, not with its turns.
  const held = cache.stats;
  countRequestTokens(last, { cache });
  assert.deepEqual(cache.stats.entries, held.entries);
  assert.deepEqual(cache.stats.chars, held.chars);
});
