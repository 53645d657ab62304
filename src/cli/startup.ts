/** Pure helpers for `ccp serve`: exposure check, URLs, and the start-up lines. */

import { defaultModeNotice } from "../config/default_notice.ts";
import type { Config, ServerConfig, Target } from "../config/types.ts";
import { ConfigError } from "../core/errors.ts";
import { VERSION } from "../version.ts";
import { isLoopbackHost } from "../core/loopback.ts";
import { autoModeEnv } from "./auto_mode.ts";
import { tracingLines } from "./check_tracing.ts";

/** One line for the logger. */
export interface LogLine {
  readonly level: "info" | "warn";
  readonly text: string;
}

function bare(host: string): string {
  return host.replace(/^\[(.*)\]$/, "$1");
}

/**
 * The shortest token not warned about on a non-loopback host: 16 random characters are at least
 * 64 bits (hex) and nothing slows a network guesser down but the token's length.
 */
const MIN_PUBLIC_TOKEN_LENGTH = 16;

/**
 * Refuses a non-loopback host without an auth token: anyone reaching it could spend your keys.
 * A token short enough to guess is allowed (the contract refuses only a missing one) but
 * warned about: returns the warnings to show.
 */
export function assertSafeExposure(server: ServerConfig): string[] {
  if (isLoopbackHost(server.host)) return [];
  if (!server.authToken && (server.clients?.length ?? 0) === 0) {
    throw new ConfigError(
      `Refusing to listen on ${server.host} without an auth token: anyone who can reach this ` +
        `address could use your provider keys. Set server.auth_token in the config file ` +
        `(e.g. auth_token: \${CCP_AUTH_TOKEN}), or CCP_AUTH_TOKEN (ANTHROPIC_AUTH_TOKEN when no ` +
        `config file is used), or listen on loopback with --host 127.0.0.1.`,
    );
  }
  const advice = `on a reachable address anyone may try tokens, so use at least ` +
    `${MIN_PUBLIC_TOKEN_LENGTH} random characters (e.g. from \`openssl rand -hex 16\`)`;
  const warnings: string[] = [];
  if (server.authToken && server.authToken.length < MIN_PUBLIC_TOKEN_LENGTH) {
    warnings.push(
      `Listening on ${server.host} with a ${server.authToken.length}-character auth token: ` +
        `${advice}.`,
    );
  }
  for (const client of server.clients ?? []) {
    if (client.token.length >= MIN_PUBLIC_TOKEN_LENGTH) continue;
    warnings.push(
      `Listening on ${server.host}: client "${client.name}"'s token has ` +
        `${client.token.length} characters; ${advice}.`,
    );
  }
  return warnings;
}

/** The host as Deno.serve wants it (IPv6 without brackets). */
export function listenHost(host: string): string {
  return bare(host);
}

/** Where a client on this machine connects: a wildcard address becomes loopback. */
export function clientHost(host: string): string {
  const h = bare(host);
  if (h === "0.0.0.0" || h === "") return "127.0.0.1";
  if (h === "::") return "::1";
  return h;
}

/** `http://host:port`, bracketing IPv6 addresses. */
export function httpUrl(host: string, port: number): string {
  const h = bare(host);
  return `http://${h.includes(":") ? `[${h}]` : h}:${port}`;
}

/** Where the config came from, in a few words. */
export function configSourceText(config: Config): string {
  switch (config.source.kind) {
    case "file":
      return `config file ${config.source.path}`;
    case "env":
      return "environment variables (no config file found)";
    case "default":
      return "built-in default (no config file, no MODEL variable)";
  }
}

function chain(targets: readonly Target[]): string {
  return targets.map((t) => `${t.provider}/${t.model}`).join(" \u2192 ");
}

/** One line per route and alias: `sonnet -> local/qwen3-coder -> nim/z-ai/glm4.7`. */
export function routeLines(config: Config): string[] {
  return [
    ...Object.entries(config.routes).map(([name, t]) => `route ${name} \u2192 ${chain(t)}`),
    ...Object.entries(config.aliases).map(([name, t]) => `alias ${name} \u2192 ${chain(t)}`),
  ];
}

/**
 * The copy-paste line for Claude Code; the real token is never printed (`client`: each of
 * `clients:` has one of their own). `env` adds variables
 * Claude Code needs for this config (auto mode's own check); `codeArgs` are the flags that make
 * `ccp code` find this ccp.
 */
export function claudeCodeLine(
  url: string,
  hasToken: boolean | "client",
  command = "ccp",
  codeArgs = "",
  env: Readonly<Record<string, string>> = {},
): string {
  // With named clients each developer sends a token of their own; "ccp" would be refused.
  const token = hasToken === "client"
    ? "<your token of clients:>"
    : hasToken
    ? "<your auth token>"
    : "ccp";
  const extra = Object.entries(env).map(([name, value]) => ` ${name}=${value}`).join("");
  return `Use it with Claude Code: ANTHROPIC_BASE_URL=${url} ANTHROPIC_AUTH_TOKEN=${token}${extra}` +
    ` claude   (or run: ${command} code${codeArgs})`;
}

/** Everything `ccp serve` logs once it listens, in order. */
export function startupLines(input: {
  config: Config;
  /** The address actually bound. */
  listenUrl: string;
  /** The address clients on this machine use. */
  clientUrl: string;
  startupMs: number;
  /** How the user runs ccp (`ccp`, or `deno task start` from a source checkout). */
  command?: string;
  /**
   * The flags `ccp code` needs to find this ccp, when serve was given them (` --port 8090`):
   * without them it would look at the configured port and start a ccp of its own.
   */
  codeArgs?: string;
}): LogLine[] {
  const command = input.command ?? "ccp";
  const { config } = input;
  const lines: LogLine[] = [
    {
      level: "info",
      text: `ccp ${VERSION} listening on ${input.listenUrl} (ready ${
        Math.round(input.startupMs)
      } ms after process start)`,
    },
    { level: "info", text: `Config: ${configSourceText(config)}` },
  ];
  if (config.source.kind === "default") {
    lines.push({ level: "info", text: defaultModeNotice(config, command) });
  }
  for (const warning of config.warnings) lines.push({ level: "warn", text: warning });
  for (const text of routeLines(config)) lines.push({ level: "info", text });
  // Where the request traces go (never the collector's header values).
  for (const text of tracingLines(config)) lines.push({ level: "info", text });
  lines.push({
    level: "info",
    text: claudeCodeLine(
      input.clientUrl,
      (config.server.clients?.length ?? 0) > 0 ? "client" : config.server.authToken !== undefined,
      command,
      input.codeArgs,
      autoModeEnv(config),
    ),
  });
  return lines;
}
