/** Help texts: the main usage and one page per command. */

import { VERSION } from "../version.ts";
import type { CommandName } from "./args.ts";

// A page that shows the config file search below its flags points there; the others to the
// main help, which shows it.
const flagsText = (search: string) =>
  `Flags:
  --config FILE      config file to use (default: ${search})
  --host H           address ccp listens on, or where a running one is asked (default 127.0.0.1)
  --port N           its port, 0-65535 (default 8082)
  --log-level L      debug | info | warn | error (default info)
  --log-format F     text | json (one JSON object per line)
  --log-file PATH    append log lines to PATH instead of standard error
  --data-dir DIR     where the usage ledger is kept (default ~/.local/share/ccp)
  -h, --help         show help
  -V, --version      print the version`;

const FLAGS = flagsText("the search in ccp --help");
const FLAGS_ABOVE_SEARCH = flagsText("the search below");

const ENVIRONMENT = `Environment (below the flags, above the config file):
  CCP_CONFIG, CCP_HOST, CCP_PORT, CCP_LOG_LEVEL, CCP_AUTH_TOKEN, CCP_DATA_DIR,
  CCP_LOG_FORMAT, CCP_LOG_FILE

Config file search (the first one found is used):
  --config FILE, $CCP_CONFIG, ./ccp.yaml, $XDG_CONFIG_HOME/ccp/config.yaml
  (~/.config/ccp/config.yaml when XDG_CONFIG_HOME is unset). .env files are read from the
  config dir, the config file's directory and the working directory (the later one wins).
  Without a file, free-claude-code variables (MODEL=provider/model, NVIDIA_NIM_API_KEY, ...)
  are used; without those, local Ollama.`;

const MAIN = `ccp ${VERSION}: an Anthropic Messages API proxy for Claude Code

Usage: ccp [command] [flags]

Commands:
  serve              start the proxy (the default command)
  init               write a commented config.yaml and .env into the config dir
  check              validate the config; print routes and providers (keys redacted)
  models             list the model names clients can use
  health             ask a running ccp whether it is up (exit 0) or not (exit 1)
  usage              tokens, requests, errors and cost from the usage ledger
  statusline         one status line for Claude Code (reads its JSON on stdin)
  code [args...]     run Claude Code through this proxy (started in-process if needed)
  service ACTION     install | uninstall | status of a background service
  settings ACTION    install | uninstall | status of Claude Code's settings pointing at ccp
  help [command]     show help for a command

${FLAGS_ABOVE_SEARCH}

${ENVIRONMENT}

Exit codes: 0 success, 1 error (configuration, port in use, ...), 2 usage error.

Examples:
  ccp init && ccp check
  ccp serve --port 8082
  ANTHROPIC_BASE_URL=http://127.0.0.1:8082 ANTHROPIC_AUTH_TOKEN=<token> claude
  ccp code -p "explain this repository"`;

const TOPICS: Readonly<Record<CommandName, string>> = {
  serve: `Usage: ccp [serve] [flags]

Starts the proxy. The start-up lines name the config in use, each route, and the
command line to point Claude Code at it. A host other than loopback (127.0.0.1, ::1,
localhost) requires an auth token: server.auth_token in the config, or CCP_AUTH_TOKEN
(ANTHROPIC_AUTH_TOKEN without a config file).

Signals: SIGINT/SIGTERM stop accepting connections and let requests in flight finish
(up to 8 s); SIGHUP re-reads the config (an invalid one is logged and ignored). Saving
the config file or its .env re-reads it too (server.watch_config: false turns that off).

${FLAGS_ABOVE_SEARCH}

${ENVIRONMENT}

Examples:
  ccp serve
  ccp serve --host 0.0.0.0 --port 8082     (with CCP_AUTH_TOKEN set)
  ANTHROPIC_BASE_URL=http://127.0.0.1:8082 ANTHROPIC_AUTH_TOKEN=<token> claude`,

  init: `Usage: ccp init [--config FILE] [--from PEER [--from-file PATH]]

Writes a commented config.yaml and a .env template into the config dir
($XDG_CONFIG_HOME/ccp or ~/.config/ccp), or FILE and a .env beside it. Existing files
are never overwritten: they are reported and left alone. The .env gets mode 600.

--from ccr converts claude-code-router's config.json (~/.claude-code-router/config.json,
or PATH) instead: Providers become providers (a known host becomes its preset), Router
entries routes (background is the haiku route), APIKEY/HOST/PORT the server settings,
PROXY_URL each provider's proxy, API_TIMEOUT_MS the first-byte timeout, and the usual
transformers model_settings. Literal API keys go to the .env, referenced as \${VAR}.
What is not carried over is printed and listed at the top of the file. It exits 1 when
config.yaml exists or the file cannot be read.

--from litellm --from-file PATH converts a LiteLLM proxy config.yaml the same way: each
model_list name becomes an alias of its deployments in order (fallbacks after them), the
first one also the default route and the first naming a tier (sonnet, \u2026) that tier's route;
master_key the auth token, num_retries and timeout the provider defaults, and max_tokens,
rpm, temperature and reasoning_effort per deployment.

--from cliproxyapi --from-file PATH converts CLIProxyAPI's API-key credentials (claude-,
gemini-, codex-, xai-api-key, openai-compatibility): each listed model name and alias an
alias, a Claude key the default route (Claude Code's model names passed through). Its
OAuth accounts cannot be carried over.

--from anthropic-proxy --from-file PATH converts tizee anthropic-proxy's models.yaml: each
model_id an alias of its model with the entry's settings (max_tokens, context,
reasoning_effort, temperature, extra_body) as a route variant.

PEER is ccr, litellm, cliproxyapi or anthropic-proxy.

Examples:
  ccp init
  ccp init --config ./ccp.yaml
  ccp init --from ccr
  ccp init --from ccr --from-file ./ccr-config.json --config ./ccp.yaml
  ccp init --from litellm --from-file ./litellm_config.yaml
  ccp init --from cliproxyapi --from-file ~/cli-proxy-api/config.yaml
  ccp init --from anthropic-proxy --from-file ./models.yaml`,

  check: `Usage: ccp check [flags]

Loads and validates the configuration, then prints the server settings, providers
(keys redacted), routes and aliases. Exits 1 with a message naming the file and key on
any error, and when a request can reach a provider without the key it needs, through a
route, an alias or a provider/model choice (naming the provider, the routes and the
variable to set).

${FLAGS_ABOVE_SEARCH}

${ENVIRONMENT}`,

  models: `Usage: ccp models [flags]

Lists the model names clients can send: route names, aliases and provider/model
entries, each with the targets it resolves to (as GET /v1/models returns them).

${FLAGS}`,

  health: `Usage: ccp health [flags]

Asks the ccp at the configured host and port for GET /health and exits 0 when it answers
200, 1 otherwise (for container health checks and service scripts; no curl needed).

${FLAGS}`,

  usage:
    `Usage: ccp usage [--since 24h|7d|30d|today|week|month|YYYY-MM-DD] [--by GROUP] [--json] [flags]

GROUP is day, route, provider, model (provider/upstream model) or client.
today, week and month start where budgets' periods do (UTC; weeks on Monday); 7d and 30d
are the last 7 or 30 days.

Reads the usage ledger in the data dir (no server needs to run) and prints requests,
errors, input/output/cache tokens and cost per group since the given time (default 7d,
grouped by day). --json prints {"since","by","rows":[...],"total":{...}} and nothing else.
The data dir is --data-dir, CCP_DATA_DIR, server.data_dir, else ~/.local/share/ccp.

${FLAGS}`,

  statusline: `Usage: ccp statusline [flags]

The command Claude Code runs for its status line: it reads the JSON Claude Code pipes to it
(session_id, ...) and prints one line with the provider/model that served the session's
latest request, and the session's tokens and cost, from the usage ledger in the data dir
(no server needs to run). With --host or --port, it asks the ccp running there instead.
\`ccp code\` wires it in; by hand, in ~/.claude/settings.json:
  "statusLine": { "type": "command", "command": "ccp statusline" }

${FLAGS}`,

  code: `Usage: ccp code [flags] [--] [claude arguments...]

Runs Claude Code ("claude" on PATH) with ANTHROPIC_BASE_URL and ANTHROPIC_AUTH_TOKEN set to
this proxy; ANTHROPIC_API_KEY and CLAUDE_CODE_USE_BEDROCK (VERTEX, FOUNDRY, ...) are removed
from its environment. When nothing answers GET /health at the configured host and port, the
proxy is started inside this process and stopped when claude exits. claude's exit code is
passed through. Install Claude Code first: npm install -g @anthropic-ai/claude-code

Arguments that are not ccp flags go to claude, and so does everything after --.
The token is the configured auth token (with clients: and no auth_token, the token of the
first client allowed every route), else "ccp".

With an "auth: passthrough" provider (your Claude plan first) and a Claude login
(claude /login, or CLAUDE_CODE_OAUTH_TOKEN), Claude Code keeps its login:
ANTHROPIC_AUTH_TOKEN is not set, and the configured auth token goes as x-api-key in
ANTHROPIC_CUSTOM_HEADERS instead.

${FLAGS}

Examples:
  ccp code
  ccp code --resume ID    resume a session through ccp (claude --resume alone skips it)
  ccp code --port 8090 -- --model sonnet -p "fix the failing test"`,

  service:
    `Usage: ccp service install|uninstall|status [--system] [--dry-run] [flags] [-- serve flags]

Runs "ccp serve" in the background:
  Linux   a systemd user unit, ~/.config/systemd/user/ccp.service (journalctl --user -u ccp)
          --system: /etc/systemd/system/ccp.service, its own user, config in /etc/ccp
  macOS   a launchd agent, ~/Library/LaunchAgents/dev.ccp.plist (launchctl bootstrap)
          --system: /Library/LaunchDaemons/dev.ccp.plist
The service works in the config dir and reads its config there, wherever install ran.
The flags given to install (and any after --) are passed to "ccp serve". Put provider
keys in the .env of the config dir: a service does not see your shell's environment.

  --system           a system-wide service instead of one for your user (as root)
  --dry-run          print the unit (or plist) and the commands; change nothing

${FLAGS}

Examples:
  ccp service install --dry-run -- --port 8082
  ccp service status
  ccp service uninstall`,

  settings: `Usage: ccp settings install|uninstall|status [--project] [--dry-run] [flags]

Points Claude Code at this ccp in its own settings, which the VS Code extension, the
JetBrains plugin and a plain "claude" in any terminal read: no ccp code needed.
  install     writes what ccp code sets into ~/.claude/settings.json ($CLAUDE_CONFIG_DIR/
              settings.json when that is set): in "env", ANTHROPIC_BASE_URL (this ccp's
              address), ANTHROPIC_AUTH_TOKEN (this ccp's auth token, else "ccp"; never a
              provider key), CLAUDE_CODE_ENABLE_GATEWAY_MODEL_DISCOVERY and, when ccp code
              sets them, the auto-compact window and CLAUDE_CODE_AUTO_MODE_SERVER; and
              "statusLine" running ccp statusline. Every other key stays; a value you set
              differently, or edited since ccp wrote it, is kept and named; the file
              before ccp first changed it is kept as <file>.ccp-backup, a later one as
              <file>.ccp-backup.latest. CCP_WROTE in "env" lists what ccp wrote.
              With an "auth: passthrough" provider and a Claude login, as ccp code does:
              no ANTHROPIC_AUTH_TOKEN, and the token as x-api-key in ANTHROPIC_CUSTOM_HEADERS.
  uninstall   takes out what install wrote (as CCP_WROTE lists it), nothing else
  status      which settings files set ANTHROPIC_BASE_URL, whether Claude Code started
              here reaches this ccp (exit 0) or not (exit 1), and whether ccp is running

Claude Code's settings win over its environment: once installed, ANTHROPIC_BASE_URL in a
shell no longer moves it (ccp code still does: it gives claude its own with --settings).
Keep ccp running for them with ccp service install.

  --project          the project's .claude/settings.local.json (in this directory) instead:
                     only you, in this project (keep that file out of git: it holds the token)
  --dry-run          print what would change and the file (token masked); change nothing

${FLAGS}

Examples:
  ccp settings install --dry-run
  ccp settings install && ccp service install
  ccp settings status
  ccp settings uninstall`,

  help: `Usage: ccp help [command]

Shows the main help, or the help of one command (same as ccp <command> --help).`,
};

/** The help text for `topic`, or the main help. */
export function helpText(topic?: CommandName): string {
  return topic === undefined ? MAIN : TOPICS[topic];
}

// The names of the main help's command list, in its order.
const COMMAND_NAMES = [
  ...(MAIN.split("Commands:\n")[1] ?? "").split("\n\n")[0]!.matchAll(/^ {2}([a-z]+)/gm),
].map((m) => m[1]);

/**
 * What a usage error prints on stderr: the message, the command's usage line, and where the
 * whole help is. The whole page (40 lines) would push the message off the screen.
 */
export function usageErrorText(message: string, topic?: CommandName): string {
  const help = helpText(topic);
  const usage = help.slice(help.indexOf("Usage:")).split("\n\n")[0] ?? "";
  const commands = topic === undefined ? `\nCommands: ${COMMAND_NAMES.join(", ")}` : "";
  const more = topic === undefined ? "ccp --help" : `ccp ${topic} --help`;
  return `ccp: ${message}\n\n${usage}${commands}\nRun "${more}" for the flags and examples.`;
}
