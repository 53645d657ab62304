/** ccp's entry point, the one impure file: gathers the process facts, runs the CLI, exits. */

import { runCli } from "./cli/run.ts";

const encoder = new TextEncoder();
const write = (stream: typeof Deno.stdout | typeof Deno.stderr) => (text: string) => {
  const bytes = encoder.encode(`${text}\n`);
  try {
    let written = 0;
    while (written < bytes.length) written += stream.writeSync(bytes.subarray(written));
  } catch (err) {
    // `ccp --help | head -1` closes the pipe early; that is not an error of ccp's.
    if (!(err instanceof Deno.errors.BrokenPipe)) throw err;
  }
};

// `deno task` runs ccp in the project's directory; INIT_CWD is where the user typed the command,
// which a compiled ccp would have as its own: paths and ./ccp.yaml are looked up from there. Run
// anywhere else, ccp was not started by `deno task`, and an inherited INIT_CWD is not its own.
const slashes = (path: string) => path.replace(/\\/g, "/").replace(/\/+$/, "");
const projectDir = slashes(decodeURIComponent(new URL("..", import.meta.url).pathname))
  .replace(/^\/([A-Za-z]:)/, "$1");
const byTask = !Deno.build.standalone && slashes(Deno.cwd()) === projectDir;
const cwd = (byTask && Deno.env.get("INIT_CWD")) || Deno.cwd();

const code = await runCli(Deno.args, {
  io: { out: write(Deno.stdout), err: write(Deno.stderr) },
  env: Deno.env.toObject(),
  cwd,
  os: Deno.build.os,
  colour: Deno.stderr.isTerminal() && Deno.env.get("NO_COLOR") === undefined,
  execPath: Deno.execPath(),
  mainModule: Deno.mainModule,
  standalone: Deno.build.standalone,
});
Deno.exit(code);
