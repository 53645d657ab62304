/**
 * Where `ccp code` says what a saved config's reload did. Interactive Claude Code owns the
 * terminal and redraws it: a line written there lands in its input box, is drawn over by the next
 * frame, or leaves pieces of itself in the frame's border. While claude draws, the lines wait and
 * are said once it exits (the log has them at once); otherwise they are said as they come.
 */

/** The most lines kept for after claude exits; a long session of saves keeps its latest. */
export const KEPT_LINES = 10;

/** Which of ccp's streams are terminals. */
export interface Terminals {
  readonly stdout: boolean;
  readonly stderr: boolean;
}

/**
 * Whether claude, run with `args` by a ccp whose streams are `terminals`, draws its screen on
 * the terminal ccp's stderr writes to: not with `-p`/`--print` (it prints its answer and
 * exits), not when its output is not a terminal (Claude Code then runs as with `-p`), and not
 * when ccp's stderr goes elsewhere (a file, a pipe).
 */
export function claudeDraws(args: readonly string[], terminals: Terminals): boolean {
  if (!terminals.stdout || !terminals.stderr) return false;
  // After `--` everything is the prompt's words.
  const end = args.indexOf("--");
  const flags = end === -1 ? args : args.slice(0, end);
  return !flags.some((arg) => arg === "--print" || bundlesPrint(arg));
}

/** Claude Code's one-letter switches that take a value (`-r [session]`, `-d [filter]`). */
const TAKES_VALUE = new Set(["r", "d"]);

/**
 * Whether `arg` is `-p` or a bundle of claude's one-letter switches holding it (`-pc`, `-cp`), as
 * Claude Code reads them: a switch that takes a value takes the rest of the bundle as it.
 */
function bundlesPrint(arg: string): boolean {
  if (arg.length < 2 || arg[0] !== "-" || arg[1] === "-") return false;
  for (const letter of arg.slice(1)) {
    if (letter === "p") return true;
    if (TAKES_VALUE.has(letter)) return false;
  }
  return false;
}

/** Holds a reload's lines while claude draws, or says them at once. */
export class ReloadLines {
  #kept: string[] = [];
  #dropped = 0;

  constructor(private readonly say: (line: string) => void, private readonly hold: boolean) {}

  /** A reload on save's line (without the `ccp: ` prefix). */
  tell(line: string): void {
    if (!this.hold) return this.say(`ccp: ${line}`);
    this.#kept.push(line);
    if (this.#kept.length > KEPT_LINES) {
      this.#kept.shift();
      this.#dropped++;
    }
  }

  /** Says the held lines (once claude has exited), the latest last. */
  flush(logFile: string | undefined): void {
    if (this.#dropped > 0) {
      const lines = this.#dropped === 1 ? "line" : "lines";
      this.say(
        `ccp: while claude ran, ${this.#dropped} earlier ${lines} about saves of the config` +
          (logFile !== undefined ? ` (in ${logFile})` : "") + ", then:",
      );
    }
    for (const line of this.#kept) this.say(`ccp: while claude ran: ${line}`);
    this.#kept = [];
    this.#dropped = 0;
  }
}
