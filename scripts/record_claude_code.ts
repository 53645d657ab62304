// deno-lint-ignore-file no-console -- a script reports on stdout
/**
 * Records what the interactive Claude Code CLI sends: runs `claude` in a tmux session against a
 * small Anthropic-like recording server, types a few prompts, and prints one summary line per
 * request (method, path, model, max_tokens, stream, tools, thinking, effort, the output format
 * (`json_schema` for the session title), the first words of the system prompt and of the last user
 * message, session and agent headers, user-agent). Secrets are never printed.
 *
 *   deno run -A scripts/record_claude_code.ts [prompt …]
 *
 * docs/claude-code.md was written from its output.
 */

import { endSession } from "../tests/helpers/tmux.ts";

const prompts = Deno.args.length > 0 ? Deno.args : ["say hi", "/model", "/compact"];
const lines: string[] = [];

function words(text: unknown, n = 12): string {
  const s = typeof text === "string" ? text : JSON.stringify(text ?? "");
  return s.replace(/\s+/g, " ").slice(0, n * 8);
}

function lastUserText(messages: unknown): string {
  if (!Array.isArray(messages)) return "";
  const last = [...messages].reverse().find((m) => m?.role === "user");
  if (!last) return "";
  if (typeof last.content === "string") return last.content;
  return (last.content as { type: string; text?: string }[]).map((b) => b.text ?? `[${b.type}]`)
    .join(" ");
}

function systemText(system: unknown): string {
  if (typeof system === "string") return system;
  if (Array.isArray(system)) return system.map((b) => b.text ?? "").join(" | ");
  return "";
}

function sse(model: string, text: string): string {
  const events = [
    ["message_start", {
      type: "message_start",
      message: {
        id: "msg_rec",
        type: "message",
        role: "assistant",
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 10, output_tokens: 1 },
      },
    }],
    ["content_block_start", {
      type: "content_block_start",
      index: 0,
      content_block: { type: "text", text: "" },
    }],
    ["content_block_delta", {
      type: "content_block_delta",
      index: 0,
      delta: { type: "text_delta", text },
    }],
    ["content_block_stop", { type: "content_block_stop", index: 0 }],
    ["message_delta", {
      type: "message_delta",
      delta: { stop_reason: "end_turn", stop_sequence: null },
      usage: { output_tokens: 5 },
    }],
    ["message_stop", { type: "message_stop" }],
  ] as const;
  return events.map(([e, d]) => `event: ${e}\ndata: ${JSON.stringify(d)}\n\n`).join("");
}

const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
  const url = new URL(req.url);
  const h = req.headers;
  const head =
    `${req.method} ${url.pathname}${url.search} session=${
      h.get("x-claude-code-session-id") ? "yes" : "no"
    } ` +
    `agent=${h.get("x-claude-code-agent-id") ?? "-"} ua=${h.get("user-agent")}`;
  if (req.method === "POST") {
    const body = await req.json().catch(() => ({}));
    lines.push(
      `${head}\n    model=${body.model} max_tokens=${body.max_tokens} stream=${body.stream} tools=${
        Array.isArray(body.tools) ? body.tools.length : 0
      } thinking=${JSON.stringify(body.thinking ?? null)} effort=${
        body.output_config?.effort ?? "-"
      } format=${body.output_config?.format?.type ?? "-"}` +
        `\n    system: ${words(systemText(body.system), 20)}\n    last user: ${
          words(lastUserText(body.messages), 20)
        }`,
    );
    if (url.pathname.endsWith("/count_tokens")) return Response.json({ input_tokens: 10 });
    const text = body.max_tokens === 1 ? "ok" : "Recorded.";
    if (body.stream) {
      return new Response(sse(body.model, text), {
        headers: { "content-type": "text/event-stream" },
      });
    }
    return Response.json({
      id: "msg_rec",
      type: "message",
      role: "assistant",
      model: body.model,
      content: [{ type: "text", text }],
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: { input_tokens: 10, output_tokens: 5 },
    });
  }
  lines.push(head);
  if (url.pathname === "/v1/models") {
    return Response.json({
      data: [{
        type: "model",
        id: "claude-sonnet-4-5",
        display_name: "Sonnet",
        created_at: "2026-01-01T00:00:00Z",
      }],
      has_more: false,
      first_id: "claude-sonnet-4-5",
      last_id: "claude-sonnet-4-5",
    });
  }
  return new Response(null, { status: 200 });
});

const home = await Deno.makeTempDir({ prefix: "ccp-record-home-" });
const work = await Deno.makeTempDir({ prefix: "ccp-record-work-" });
const session = `ccp-record-${Date.now()}`;
// Past the first-run screens (theme, security notes, folder trust): a user who set up before.
await Deno.writeTextFile(
  `${home}/.claude.json`,
  JSON.stringify({
    hasCompletedOnboarding: true,
    theme: "dark",
    projects: { [work]: { hasTrustDialogAccepted: true, hasCompletedProjectOnboarding: true } },
  }),
);
const env = [
  `HOME=${home}`,
  `ANTHROPIC_BASE_URL=http://127.0.0.1:${server.addr.port}`,
  "ANTHROPIC_AUTH_TOKEN=record-token",
  "DISABLE_TELEMETRY=1",
  "DISABLE_AUTOUPDATER=1",
  "DISABLE_ERROR_REPORTING=1",
  "CLAUDE_CODE_ENABLE_GATEWAY_MODEL_DISCOVERY=1",
];
const tmux = (...args: string[]) =>
  new Deno.Command("tmux", { args, stdout: "piped", stderr: "piped" }).output();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
await tmux(
  "new-session",
  "-d",
  "-s",
  session,
  "-x",
  "160",
  "-y",
  "50",
  "-c",
  work,
  "env",
  ...env,
  "claude",
);
try {
  await sleep(6000);
  // The first start asks to trust the folder (and may show a theme picker): accept defaults.
  for (let i = 0; i < 3; i++) {
    await tmux("send-keys", "-t", session, "Enter");
    await sleep(1500);
  }
  for (const prompt of prompts) {
    lines.push(`--- typed: ${prompt}`);
    await tmux("send-keys", "-t", session, "-l", prompt);
    await sleep(300);
    await tmux("send-keys", "-t", session, "Enter");
    await sleep(6000);
    if (prompt === "/model") await tmux("send-keys", "-t", session, "Escape");
  }
  const screen = await tmux("capture-pane", "-p", "-t", session);
  lines.push("--- screen at the end:", new TextDecoder().decode(screen.stdout).trimEnd());
} finally {
  // Claude Code writes into its home while it exits: the directories go once it has.
  await endSession(session);
  await server.shutdown();
  await Deno.remove(home, { recursive: true }).catch(() => {});
  await Deno.remove(work, { recursive: true }).catch(() => {});
}
console.log(lines.join("\n"));
