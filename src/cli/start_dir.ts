/** The directory ccp was started from: where relative paths and ./ccp.yaml are looked up. */

/** What the process knows about how it was started. */
export interface StartFacts {
  /** The process's working directory. */
  cwd: string;
  /** The URL of src/main.ts, which sits in the project's `src/`. */
  mainUrl: string;
  /** True for a compiled ccp, which no task runner starts in a directory of its choosing. */
  standalone: boolean;
  env: Readonly<Record<string, string | undefined>>;
}

const slashes = (path: string) => path.replace(/\\/g, "/").replace(/\/+$/, "");

/** The project directory (the one with deno.json) as a path, `C:/...` on Windows. */
export function projectDirOf(mainUrl: string): string {
  return slashes(decodeURIComponent(new URL("..", mainUrl).pathname)).replace(
    /^\/([A-Za-z]:)/,
    "$1",
  );
}

/**
 * `deno task start` runs ccp in the project's directory and leaves where the user typed the
 * command in INIT_CWD, which a compiled ccp would have as its own working directory. INIT_CWD is
 * also set by npm, yarn and pnpm for their scripts, and passed down to every process they
 * start; deno task sets it only where it is absent, and with it npm_config_user_agent
 * (`deno/2.9.6 npm/? ...`), likewise only where absent, while those runners write their own name
 * there. So INIT_CWD is deno task's only when the user agent beside it is Deno's, and ccp runs in
 * the project's directory: anywhere else, ccp was not started by the project's task.
 */
export function startDir({ cwd, mainUrl, standalone, env }: StartFacts): string {
  const initCwd = env.INIT_CWD;
  if (standalone || !initCwd) return cwd;
  if (!env.npm_config_user_agent?.startsWith("deno/")) return cwd;
  return slashes(cwd) === projectDirOf(mainUrl) ? initCwd : cwd;
}
