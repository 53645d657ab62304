/** `ccp code`: runs Claude Code against this proxy, starting the proxy in-process if needed. */

import { FailureNote } from "./code_failures.ts";
import { codeCommand, ResumeNote } from "./code_resume.ts";
import { claudeDraws, ReloadLines } from "./code_reloads.ts";
import { codeToken } from "./code_token.ts";
import { askRunning, elsewhereNote, keylessNote } from "./code_elsewhere.ts";
import type { CliFlags } from "./args.ts";
import { claudeEnv, cloudSwitchNote, findOnPath, spawnSpec } from "./claude_spawn.ts";
import { ccpCommand, type CliContext } from "./context.ts";
import { loadCliConfig } from "./load.ts";
import { type ServerHandle, startServer } from "./serve.ts";
import { onSignals, stopSignals } from "./signals.ts";
import { assertSafeExposure, clientHost, httpUrl } from "./startup.ts";
import { codeEnv, ledgerPlace, mainLoopTargets, statuslineSettings } from "./code_setup.ts";
import { learnWindows } from "./check_local_windows.ts";
import { CLAUDE_CODE_CONTEXT } from "../upstream/ollama/context.ts";
import { probeHealth } from "./probe.ts";
import { joinPath } from "../config/paths.ts";
import type { Config } from "../config/types.ts";
import { defaultModeNotice } from "../config/default_notice.ts";
import { claudeLogin, keepLogin, usesPassthrough } from "./claude_login.ts";
import { settingsTokenNote } from "./claude_settings_files.ts";
import { tracingLines } from "./check_tracing.ts";

/** Runs claude with inherited stdio and returns its exit code. */
async function runClaude(
  ctx: CliContext,
  path: string,
  args: readonly string[],
  env: Record<string, string>,
  cwd: string,
): Promise<number> {
  const spec = spawnSpec(path, args, ctx.os, ctx.env.ComSpec ?? ctx.env.COMSPEC);
  const child = new Deno.Command(spec.command, {
    args: [...spec.args],
    env,
    cwd,
    clearEnv: true,
    windowsRawArguments: spec.raw,
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  // Ctrl-C reaches claude through the terminal; ccp must outlive it to stop the server cleanly.
  const removeInt = onSignals(stopSignals(ctx.os).filter((s) => s !== "SIGTERM"), () => {});
  const removeTerm = ctx.os === "windows" ? () => {} : onSignals(["SIGTERM", "SIGHUP"], () => {
    try {
      child.kill("SIGTERM");
    } catch {
      // Already gone.
    }
  });
  try {
    const status = await child.status;
    return status.code;
  } finally {
    removeInt();
    removeTerm();
  }
}

/**
 * With an `auth: passthrough` provider, Claude Code keeps its own Claude login when it has one
 * (ccp's token, if any, rides beside it); otherwise it gets ccp's token as before. Says which.
 */
async function loginChoice(
  ctx: CliContext,
  config: Config,
  env: Record<string, string>,
  own: string | undefined,
): Promise<Record<string, string>> {
  if (!usesPassthrough(config)) return env;
  const login = await claudeLogin(ctx.env, { os: ctx.os, home: ctx.home, cwd: ctx.cwd });
  if (login === undefined) {
    ctx.io.err(
      "ccp: a provider passes Claude Code's own login through (auth: passthrough), but Claude " +
        "Code has no Claude login here: it gets ccp's token, which that provider refuses, so " +
        "its targets fall through to the next. Log in with `claude /login` (or set " +
        "CLAUDE_CODE_OAUTH_TOKEN) to use your plan.",
    );
    return env;
  }
  ctx.io.err(
    `ccp: Claude Code keeps its Claude login (found in ${login}) for the auth: passthrough ` +
      "provider" + (own === undefined ? "" : "; ccp's token goes in ANTHROPIC_CUSTOM_HEADERS"),
  );
  return keepLogin(env, own);
}

/** Runs `ccp code [claude args...]`; returns claude's exit code (1 when it cannot start). */
export async function runCode(
  ctx: CliContext,
  flags: CliFlags,
  claudeArgs: readonly string[],
): Promise<number> {
  const config = await loadCliConfig(ctx, flags);
  for (const warning of assertSafeExposure(config.server)) ctx.io.err(`ccp: ${warning}`);
  const claude = await findOnPath("claude", ctx.env, ctx.os);
  if (claude === undefined) {
    ctx.io.err(
      'ccp: "claude" was not found on PATH. Install Claude Code with: ' +
        "npm install -g @anthropic-ai/claude-code",
    );
    return 1;
  }
  const proxy = await startOrJoin(ctx, flags, config, claudeArgs);
  if (typeof proxy === "number") return proxy;
  const { server, url, logFile, failures, reloads, warnings, resume } = proxy;
  const own = codeToken(config.server);
  const token = own ?? "ccp";
  if (!server && !await joinable(ctx, config, url, own)) return 1;
  const cloud = cloudSwitchNote(ctx.env);
  if (cloud !== undefined) ctx.io.err(cloud);
  // A container's PID 1 inherits every orphan, and Deno cannot wait for a process it did not start.
  if (Deno.pid === 1 && ctx.os !== "windows") {
    ctx.io.err(
      "ccp: running as PID 1 (a container's entrypoint): what claude's commands leave running " +
        "in the background becomes ccp's when it ends, and ccp cannot reap it (it stays a zombie " +
        "until the container stops); start the container with an init: `docker run --init`",
    );
  }
  try {
    // Claude Code compacts by the window of the model it runs on: a local server says it when
    // the config does not; ccp fits max_tokens into it too, and says what to add to the config.
    const learned = await learnWindows(config, mainLoopTargets(config));
    // A window big enough is only advice; one too small is a warning.
    const tokens = [...learned.windows.values()];
    learned.lines.forEach((line, i) =>
      ctx.io.err(`ccp: ${tokens[i]! < CLAUDE_CODE_CONTEXT ? "warning: " : ""}${line}`)
    );
    server?.learnWindows(learned.windows);
    await server?.askOllama();
    const env = {
      ...await loginChoice(ctx, config, claudeEnv(ctx.env, url, token), own),
      ...codeEnv(config, ctx.env, learned.windows),
    };
    // The status line asks the ccp claude talks to. Beside a ccp it did not start: its data dir
    // (or config) may differ from this one's, and this one's ledger would not have the session.
    // The one started here knows which of its models run on too little context, as no ledger does.
    const place = {
      ...ledgerPlace(ctx, config),
      proxy: { host: clientHost(config.server.host), port: server?.port ?? config.server.port },
    };
    const ours = { ANTHROPIC_BASE_URL: url, ...codeEnv(config, ctx.env, learned.windows) };
    const args = [...statuslineSettings(ctx, place, ours), ...claudeArgs];
    const shadowed = own === undefined
      ? undefined
      : await settingsTokenNote(ctx, env.ANTHROPIC_AUTH_TOKEN);
    if (shadowed !== undefined) ctx.io.err(shadowed);
    // ctx.cwd is where the user started ccp, also under `deno task` (see main.ts).
    return await runClaude(ctx, claude, args, env, ctx.cwd);
  } finally {
    await server?.stop();
    // Under the `claude --resume <id>` an interactive claude prints as it exits.
    const resumeLine = resume?.note(codeCommand(ccpCommand(ctx), flags));
    if (resumeLine !== undefined) ctx.io.err(resumeLine);
    reloads.flush(logFile);
    warnings.flush(logFile);
    const note = failures.note(logFile);
    if (note !== undefined) ctx.io.err(note);
  }
}

/** The proxy claude talks to, started here or already running, and what watches it for claude. */
interface CodeProxy {
  /** The proxy started in-process; undefined when one was already running at `url`. */
  readonly server: ServerHandle | undefined;
  readonly url: string;
  readonly logFile: string | undefined;
  readonly failures: FailureNote;
  readonly reloads: ReloadLines;
  /** The in-process proxy's warnings about the served models (too little context). */
  readonly warnings: ReloadLines;
  /** The session an interactive claude ran through the in-process proxy, to resume it. */
  readonly resume: ResumeNote | undefined;
}

/**
 * Starts the proxy in-process, or uses the ccp already answering at the configured port (it
 * stays running after claude). Returns 1 when another program holds that port.
 */
async function startOrJoin(
  ctx: CliContext,
  flags: CliFlags,
  config: Config,
  claudeArgs: readonly string[],
): Promise<CodeProxy | number> {
  const url = httpUrl(clientHost(config.server.host), config.server.port);
  const found = config.server.port === 0 ? "none" : (await probeHealth(url)).found;
  if (found === "other") {
    // The words `ccp serve` uses for the same port, which Troubleshooting lists.
    const where = `${config.server.host}:${config.server.port}`;
    ctx.io.err(
      `ccp: something else is using ${where} (not a ccp): choose another port with --port N ` +
        "or CCP_PORT",
    );
    return 1;
  }
  const dataDir = config.server.dataDir;
  // Claude Code owns the terminal: the in-process proxy logs to a file, named once here.
  const logFile = flags.logFile ?? config.server.logFile ??
    (dataDir !== undefined ? joinPath(dataDir, "ccp.log") : undefined);
  const failures = new FailureNote();
  const draws = claudeDraws(claudeArgs, {
    stdout: Deno.stdout.isTerminal(),
    stderr: Deno.stderr.isTerminal(),
  });
  const reloads = new ReloadLines((line) => ctx.io.err(line), draws);
  const warnings = new ReloadLines((line) => ctx.io.err(line), draws);
  // Named once it is known to take this ccp's token (joinable), not before a refusal.
  if (found !== "none") {
    return { server: undefined, url, logFile, failures, reloads, warnings, resume: undefined };
  }
  // With -p claude prints no `claude --resume` to translate.
  const resume = draws ? new ResumeNote() : undefined;
  const server = await startServer({
    ctx,
    flags,
    quiet: logFile === undefined,
    graceMs: 2_000,
    observers: resume ? [failures, resume] : [failures],
    // Its log is in a file or quiet: a saved config's reload (or why it failed) is said here,
    // once claude exits when its screen would swallow the line.
    onSaveReload: (line) => reloads.tell(line),
    // An Ollama model on a short context answers off-topic with no error: said where it shows.
    onContextWarning: (line) => warnings.tell(line),
    ...(logFile !== undefined ? { logFile } : {}),
  });
  ctx.io.err(
    `ccp: proxy started in-process at ${server.url}; it stops when claude exits` +
      (logFile !== undefined ? `; its log: ${logFile}` : ""),
  );
  // The log file is out of sight while claude owns the terminal, and these warnings (a MODEL
  // a config file leaves unread, a provider without its key) explain the failures that follow.
  for (const warning of config.warnings) ctx.io.err(`ccp: warning: ${warning}`);
  // Variables set for Claude Code's own telemetry turn ccp's traces on too: said where it shows,
  // with the switch that turns them off (the variables' own, unless the block insists).
  if (config.tracing?.from === "environment") {
    const off = config.tracing.enabledByBlock
      ? "the config's tracing.enabled: true keeps it on (enabled: false turns it off)"
      : "OTEL_TRACES_EXPORTER=none turns it off";
    ctx.io.err(`ccp: ${tracingLines(config)[0]}; ${off}`);
  }
  // Without MODEL or a file every request goes to a local Ollama: said before claude's screen
  // takes the terminal, not first as an error to the first message.
  if (config.source.kind === "default") {
    ctx.io.err(`ccp: ${defaultModeNotice(config, ccpCommand(ctx))}`);
  }
  return { server, url: server.url, logFile, failures, reloads, warnings, resume };
}

/**
 * Asks the ccp already running whether it takes this one's token (false, said, when it refuses
 * it), and notes where its default route goes when that differs from this config's.
 */
async function joinable(
  ctx: CliContext,
  config: Config,
  url: string,
  own: string | undefined,
): Promise<boolean> {
  const running = await askRunning(url, own ?? "ccp");
  if (running.refused) {
    // Without a token of its own this ccp sent the placeholder: what to set is the running
    // one's token, not a second copy of a token that does not exist yet.
    ctx.io.err(
      own === undefined
        ? `ccp: the proxy running at ${url} wants its auth token, and this ccp has none: set ` +
          "CCP_AUTH_TOKEN (or server.auth_token) to that proxy's token, or stop that proxy and " +
          "let ccp code start one"
        : `ccp: the proxy running at ${url} refuses this ccp's token: give both the same ` +
          "server.auth_token (or CCP_AUTH_TOKEN), or stop that proxy and let ccp code start one",
    );
    return false;
  }
  ctx.io.err(`ccp: using the proxy already running at ${url}`);
  const elsewhere = elsewhereNote(url, running.defaultRoute, config);
  if (elsewhere) ctx.io.err(elsewhere);
  const keyless = keylessNote(url, running.keyless, config);
  if (keyless) ctx.io.err(keyless);
  return true;
}
