/**
 * Text Generation Inference 2.x's whole (not streamed) Chat Completions answer to a request with
 * tools, as its router writes it: every pick of the tool grammar is a call with id "0", a null
 * `description`, its arguments an object, and the finish word `eos_token`. A pick of the grammar's
 * own `no_tool` is such a call too, its `content` the answer.
 */

/** TGI 2.4's answer calling `name` with `args`. */
export function tgiCallAnswer(
  name: string,
  args: unknown,
  finish = "eos_token",
): Record<string, unknown> {
  return {
    object: "chat.completion",
    id: "",
    created: 1765000000,
    model: "Qwen/Qwen2.5-72B-Instruct",
    system_fingerprint: "2.4.1-sha-d2ed52f",
    choices: [{
      index: 0,
      message: {
        role: "assistant",
        tool_calls: [{
          id: "0",
          type: "function",
          function: { description: null, name, arguments: args },
        }],
      },
      logprobs: null,
      finish_reason: finish,
    }],
    usage: { prompt_tokens: 310, completion_tokens: 22, total_tokens: 332 },
  };
}
