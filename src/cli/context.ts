/** What every command gets from main: output streams, environment, working directory, platform. */

/** Where a command writes; each call writes `text` followed by a newline. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

/** The impure facts a command needs, gathered once by main.ts (tests pass their own). */
export interface CliContext {
  readonly io: Io;
  /** The process environment (Deno.env.toObject()). */
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  /** Home directory override; defaults to $HOME / $USERPROFILE. */
  readonly home?: string;
  readonly os: typeof Deno.build.os;
  /** Whether log lines on stderr may be coloured. */
  readonly colour: boolean;
  /** Path of the running executable: `deno`, or the compiled ccp binary. */
  readonly execPath: string;
  /** URL of the entry module (src/main.ts when run from source). */
  readonly mainModule: string;
  /** True when running as a `deno compile`d binary. */
  readonly standalone: boolean;
}

/**
 * How the user runs ccp, for the commands ccp's notes suggest: `ccp`, or `deno task start` from
 * a source checkout, where no `ccp` is on the PATH.
 */
export function ccpCommand(ctx: Pick<CliContext, "standalone">): string {
  return ctx.standalone ? "ccp" : "deno task start";
}

/** An error a command reports as one message and an exit code (no stack trace). */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = "CliError";
    this.exitCode = exitCode;
  }
}
