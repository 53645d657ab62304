/** Checks on a Chat Completions history as an OpenAI-style API would make them. */

type Obj = Record<string, unknown>;

/**
 * What an OpenAI-style API refuses in a history (the 400s that would end a session): a role it
 * does not know, a tool call without its result or a result without its call, a tool result that
 * is not text, an empty assistant message. Undefined when it would accept the history.
 */
export function chatHistoryProblem(messages: Obj[]): string | undefined {
  for (const [i, m] of messages.entries()) {
    if (!["system", "user", "assistant", "tool"].includes(String(m.role))) return `role ${i}`;
    const calls = (m.tool_calls as Obj[] | undefined) ?? [];
    if (m.role === "assistant" && calls.length > 0) {
      const answered = new Set<unknown>();
      for (let j = i + 1; messages[j]?.role === "tool"; j++) {
        answered.add(messages[j]!.tool_call_id);
      }
      if (calls.some((c) => !answered.has(c.id))) return `tool call without result at ${i}`;
    }
    if (m.role === "tool") {
      let j = i - 1;
      while (messages[j]?.role === "tool") j--;
      const calls = (messages[j]?.tool_calls as Obj[] | undefined) ?? [];
      if (!calls.some((c) => c.id === m.tool_call_id)) return `tool result without call at ${i}`;
      if (typeof m.content !== "string") return `tool content not text at ${i}`;
    }
    if (m.role === "assistant" && !m.content && calls.length === 0) return `empty assistant ${i}`;
  }
  return undefined;
}
