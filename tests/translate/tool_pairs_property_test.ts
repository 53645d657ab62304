/**
 * pairToolBlocks on many random tool_use/tool_result layouts: the same result as the check it
 * replaced, which built arrays and sets per user turn (kept below as the reference), and every
 * history it returns is paired.
 */

import assert from "node:assert/strict";
import type { ContentBlockParam, MessageParam } from "../../src/protocols/anthropic.ts";
import { pairToolBlocks } from "../../src/translate/anthropic/tool_pairs.ts";

// The reference: the former check, with the pairing loop it was called from.
function referenceNeedsRepair(message: MessageParam, calls: readonly string[]): boolean {
  const blocks = Array.isArray(message.content) ? message.content : [];
  const results = blocks.flatMap((b) => b.type === "tool_result" ? [b.tool_use_id] : []);
  if (calls.length === 0) return results.length > 0;
  return results.length !== calls.length || calls.some((id) => !results.includes(id)) ||
    new Set(results).size !== results.length;
}

/** Whether pairToolBlocks changes `messages`, by the reference check. */
function referenceChanges(messages: MessageParam[]): boolean {
  let calls: string[] = [];
  for (const message of messages) {
    if (message.role === "user" && referenceNeedsRepair(message, calls)) return true;
    if (message.role === "assistant" && calls.length > 0) return true;
    if (message.role === "system") continue;
    calls = message.role === "assistant" && Array.isArray(message.content)
      ? message.content.flatMap((b) => b.type === "tool_use" ? [b.id] : [])
      : [];
  }
  return false;
}

// A small deterministic generator, so a failure names a seed that reproduces it.
function random(seed: number) {
  let x = seed >>> 0;
  return (n: number) => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return (x >>> 8) % n;
  };
}

const IDS = ["a", "b", "c", "d"];

function history(seed: number, distinctCalls: boolean): MessageParam[] {
  const pick = random(seed);
  const messages: MessageParam[] = [{ role: "user", content: "hi" }];
  const turns = 1 + pick(4);
  for (let t = 0; t < turns; t++) {
    const calls: ContentBlockParam[] = [];
    const ids = [...IDS];
    for (let n = pick(4); n > 0; n--) {
      const id = distinctCalls ? ids.splice(pick(ids.length), 1)[0]! : IDS[pick(IDS.length)]!;
      calls.push({ type: "tool_use", id, name: "Bash", input: {} });
    }
    if (pick(3) === 0) calls.splice(pick(calls.length + 1), 0, { type: "text", text: "t" });
    messages.push({ role: "assistant", content: calls });
    if (pick(6) === 0) messages.push({ role: "system", content: "s" });
    if (pick(12) === 0) continue; // two assistant turns in a row
    if (pick(12) === 0) {
      messages.push({ role: "user", content: "plain" });
      continue;
    }
    // Mostly the calls' own ids in some order, sometimes one dropped, repeated or foreign.
    const answers: ContentBlockParam[] = calls.flatMap((b) =>
      b.type === "tool_use" && pick(12) > 0 ? [b.id] : []
    ).map((id) => ({ type: "tool_result", tool_use_id: id, content: "r" }));
    for (let n = pick(8) === 0 ? 1 + pick(2) : 0; n > 0; n--) {
      answers.splice(pick(answers.length + 1), 0, {
        type: "tool_result",
        tool_use_id: IDS[pick(IDS.length)]!,
        content: "x",
      });
    }
    if (pick(2) === 0) answers.sort(() => pick(3) - 1);
    if (pick(3) === 0) answers.push({ type: "text", text: "u" });
    messages.push({ role: "user", content: answers });
  }
  return messages;
}

/** Every call answered once in the next user turn, and every result answering such a call. */
function assertPaired(messages: MessageParam[], seed: number): void {
  let calls: string[] = [];
  for (const message of messages) {
    if (message.role === "system") continue;
    const blocks = Array.isArray(message.content) ? message.content : [];
    if (message.role === "user") {
      const results = blocks.flatMap((b) => b.type === "tool_result" ? [b.tool_use_id] : []);
      assert.deepEqual([...results].sort(), [...new Set(calls)].sort(), `seed ${seed}`);
    } else assert.equal(calls.length, 0, `seed ${seed}: an assistant turn follows calls`);
    calls = message.role === "assistant"
      ? blocks.flatMap((b) => b.type === "tool_use" ? [b.id] : [])
      : [];
  }
}

Deno.test("pairToolBlocks: repairs exactly the histories the former check repaired", () => {
  let repaired = 0;
  for (let seed = 1; seed <= 20_000; seed++) {
    const messages = history(seed, true);
    const out = pairToolBlocks(messages);
    assert.equal(out !== messages, referenceChanges(messages), `seed ${seed}`);
    if (out !== messages) repaired++;
    assertPaired(out, seed);
    // A repaired history needs nothing more.
    assert.equal(pairToolBlocks(out), out, `seed ${seed}`);
  }
  // Both kinds were drawn often.
  assert.ok(repaired > 2_000 && repaired < 18_000, `${repaired} repaired`);
});

Deno.test("pairToolBlocks: a call id repeated in one turn still leaves no result without its call", () => {
  // The former check let one layout through: calls [a, a] answered by [a, b], b answering
  // nothing. The API refuses repeated ids, so this only matters as a history ccp is sent.
  const messages: MessageParam[] = [
    { role: "user", content: "hi" },
    {
      role: "assistant",
      content: [
        { type: "tool_use", id: "a", name: "Bash", input: {} },
        { type: "tool_use", id: "a", name: "Bash", input: {} },
      ],
    },
    {
      role: "user",
      content: [
        { type: "tool_result", tool_use_id: "a", content: "r" },
        { type: "tool_result", tool_use_id: "b", content: "orphan" },
      ],
    },
  ];
  assert.equal(referenceChanges(messages), false);
  assert.deepEqual(pairToolBlocks(messages)[2], {
    role: "user",
    content: [
      { type: "tool_result", tool_use_id: "a", content: "r" },
      { type: "text", text: "[result of tool call b]\norphan" },
    ],
  });
  for (let seed = 1; seed <= 5_000; seed++) {
    const out = pairToolBlocks(history(seed, false));
    for (let i = 1; i < out.length; i++) {
      const message = out[i]!;
      if (message.role !== "user" || !Array.isArray(message.content)) continue;
      let j = i - 1;
      while (j > 0 && out[j]!.role === "system") j--;
      const previous = out[j]!;
      const calls = previous.role === "assistant" && Array.isArray(previous.content)
        ? previous.content.flatMap((b) => b.type === "tool_use" ? [b.id] : [])
        : [];
      for (const block of message.content) {
        if (block.type === "tool_result") {
          assert.ok(calls.includes(block.tool_use_id), `seed ${seed}: ${block.tool_use_id}`);
        }
      }
    }
  }
});
