/** A Chat Completions answer from a test upstream: streamed when asked for, else one JSON completion. */

type Obj = Record<string, unknown>;

/** The JSON completion of `message` (content or tool_calls) ended by `finish`, from `model`. */
export function chatCompletion(message: Obj, finish = "stop", model = "m"): Obj {
  return {
    id: "c",
    created: 1,
    model,
    object: "chat.completion",
    choices: [{ index: 0, message: { role: "assistant", ...message }, finish_reason: finish }],
    usage: { prompt_tokens: 900, completion_tokens: 5, total_tokens: 905 },
  };
}

/** `message` (content or tool_calls) ended by `finish`, as `model` would answer it. */
export function chatAnswer(stream: boolean, message: Obj, finish: string, model = "m"): Response {
  if (!stream) return Response.json(chatCompletion(message, finish, model));
  const base = { id: "c", created: 1, model };
  const chunk = (delta: Obj, finish_reason: string | null) =>
    `data: ${
      JSON.stringify({
        ...base,
        object: "chat.completion.chunk",
        choices: [{ index: 0, delta, finish_reason }],
      })
    }\n\n`;
  const calls = message.tool_calls as Obj[] | undefined;
  const delta = calls
    ? { role: "assistant", tool_calls: calls.map((call, index) => ({ index, ...call })) }
    : { role: "assistant", content: message.content };
  const sse = chunk(delta, null) + chunk({}, finish) + "data: [DONE]\n\n";
  return new Response(sse, { headers: { "content-type": "text/event-stream" } });
}
