/**
 * The session to resume through ccp. When an interactive claude exits it prints `claude --resume
 * <id>`; typed as printed, that claude goes to Anthropic ("Not logged in"). `ccp code` says the
 * command that resumes it through this ccp, with the id of the session its requests carried.
 */

import type { CliFlags } from "./args.ts";
import { shellWord } from "./shell_word.ts";
import type { RequestObserver, RequestRecord } from "../pipeline/record.ts";

/**
 * Claude Code's session ids are UUIDs. The header is the client's: anything else is not printed,
 * so no control character of a request reaches the terminal.
 */
const SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Keeps the session id of the latest request of the in-process proxy. */
export class ResumeNote implements RequestObserver {
  #session: string | undefined;

  ended(record: Readonly<RequestRecord>): void {
    // The latest, not the first: after /clear or /resume Claude Code sends another session's id,
    // and the one it prints on exit is the last it used.
    if (record.session !== undefined && SESSION_ID.test(record.session)) {
      this.#session = record.session;
    }
  }

  /**
   * One line for stderr naming `code` (the command that started this run, with its ccp flags)
   * and `--resume <id>`, or undefined when no request carried a session.
   */
  note(code: string): string | undefined {
    if (this.#session === undefined) return undefined;
    return `ccp: resume this session through ccp with: ${code} --resume ${this.#session}`;
  }
}

/**
 * `ccp code` as this run was started: `command` (`ccp`, or `deno task start` from source) and the
 * ccp flags that decide which proxy, config and ledger the session goes to.
 */
export function codeCommand(command: string, flags: CliFlags): string {
  const words = [command, "code"];
  if (flags.config !== undefined) words.push("--config", shellWord(flags.config));
  if (flags.dataDir !== undefined) words.push("--data-dir", shellWord(flags.dataDir));
  if (flags.host !== undefined) words.push("--host", shellWord(flags.host));
  if (flags.port !== undefined) words.push("--port", String(flags.port));
  return words.join(" ");
}
