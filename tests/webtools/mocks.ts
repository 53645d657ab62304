/**
 * Mocks for the web tool tests, all on 127.0.0.1: a SearXNG instance and a page server in one
 * (search answers, an HTML page, a redirect to loopback), and a scripted OpenAI-compatible model
 * whose next move depends on the conversation it receives.
 */

/** A running SearXNG + page server. */
export interface WebMock {
  url: string;
  port: number;
  /** Paths (with query) requested, in order. */
  paths: string[];
  close(): Promise<void>;
}

/** The result every search returns first. */
export const MOON = {
  url: "https://example.org/moon",
  title: "Moon facts",
  content: "The Moon is 384,400 km from Earth.",
  publishedDate: "2026-01-02",
};

/** The HTML page served at /page. */
const PAGE_HTML = `<!doctype html><html><head><title>Tide &amp; Moon</title>
<style>body { color: red }</style><script>var secret = "<p>not text</p>";</script></head>
<body><h1>Tides</h1><p>The Moon&#39;s pull
  makes   the tides.</p><ul><li>High &lt;twice&gt; a day</li></ul><!-- a comment --></body></html>`;

/** Starts the SearXNG + page mock. */
export function startWebMock(): WebMock {
  const paths: string[] = [];
  const server: Deno.HttpServer<Deno.NetAddr> = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: () => {},
  }, (req): Response => {
    const url = new URL(req.url);
    paths.push(url.pathname + url.search);
    switch (url.pathname) {
      case "/search":
        if (url.searchParams.get("format") !== "json") return new Response("html", { status: 403 });
        return Response.json({
          query: url.searchParams.get("q"),
          results: [MOON, {
            url: "https://blocked.example.com/x",
            title: "Other",
            content: "other",
          }],
        });
      case "/page":
        return new Response(PAGE_HTML, { headers: { "content-type": "text/html; charset=utf-8" } });
      case "/redirect":
        return new Response(null, {
          status: 302,
          headers: { location: `http://127.0.0.1:${server.addr.port}/page` },
        });
      default:
        return new Response("not found", { status: 404 });
    }
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    port: server.addr.port,
    paths,
    close: () => server.shutdown(),
  };
}

/** What the scripted model does next: call functions, or answer with text. */
export type ModelMove =
  | { readonly calls: ReadonlyArray<{ name: string; args: Record<string, unknown> }> }
  | { readonly text: string }
  | { readonly status: number };

/** A running scripted OpenAI-compatible model. */
export interface ScriptedOpenAI {
  /** The API root (ends in /v1). */
  url: string;
  bodies: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

type ChatMessage = { role: string; content?: unknown; tool_calls?: unknown[] };

/** The tool results the conversation ends with (the `tool` messages after the last assistant). */
export function trailingToolResults(messages: ChatMessage[]): string[] {
  const out: string[] = [];
  for (let i = messages.length - 1; i >= 0 && messages[i]!.role === "tool"; i--) {
    out.unshift(String(messages[i]!.content));
  }
  return out;
}

/** Starts a model that answers each request with `script(messages)`, as JSON or SSE. */
export function startScriptedOpenAI(
  script: (messages: ChatMessage[]) => ModelMove,
): ScriptedOpenAI {
  const bodies: Array<Record<string, unknown>> = [];
  let n = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json();
    bodies.push(body);
    const move = script(body.messages as ChatMessage[]);
    if ("status" in move) {
      return Response.json({ error: { message: "scripted failure" } }, { status: move.status });
    }
    const usage = { prompt_tokens: 100, completion_tokens: 10, total_tokens: 110 };
    const calls = "calls" in move
      ? move.calls.map((c, i) => ({
        id: `call_${++n}_${i}`,
        type: "function",
        function: { name: c.name, arguments: JSON.stringify(c.args) },
      }))
      : undefined;
    const message = calls
      ? { role: "assistant", content: null, tool_calls: calls }
      : { role: "assistant", content: (move as { text: string }).text };
    const finish = calls ? "tool_calls" : "stop";
    if (!body.stream) {
      return Response.json({
        id: "chatcmpl-1",
        object: "chat.completion",
        model: body.model,
        choices: [{ index: 0, message, finish_reason: finish }],
        usage,
      });
    }
    const chunk = (delta: unknown, finishReason: string | null, extra = {}) =>
      `data: ${
        JSON.stringify({
          id: "chatcmpl-1",
          object: "chat.completion.chunk",
          model: body.model,
          choices: [{ index: 0, delta, finish_reason: finishReason }],
          ...extra,
        })
      }\n\n`;
    const delta = calls
      ? { role: "assistant", tool_calls: calls.map((c, index) => ({ index, ...c })) }
      : { role: "assistant", content: message.content };
    const sse = chunk(delta, null) + chunk({}, finish, { usage }) + "data: [DONE]\n\n";
    return new Response(sse, { headers: { "content-type": "text/event-stream" } });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/v1`,
    bodies,
    close: () => server.shutdown(),
  };
}
