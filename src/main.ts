/** ccp's entry point, the one impure file: gathers the process facts, runs the CLI, exits. */

import { runCli } from "./cli/run.ts";
import { startDir } from "./cli/start_dir.ts";
import { endAsInit } from "./cli/signals.ts";
import { endsByExit } from "./core/deadlines.ts";

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

// A container's entrypoint: a stop signal must end ccp even where no command listens to it yet.
endAsInit(Deno.pid, Deno.build.os);

// Every command ends with the Deno.exit below, so a pending deadline wake-up cannot hold one.
endsByExit();

const env = Deno.env.toObject();
// Under `deno task start`, the directory the user typed the command in, not the project's.
const cwd = startDir({
  cwd: Deno.cwd(),
  mainUrl: import.meta.url,
  standalone: Deno.build.standalone,
  env,
});

const code = await runCli(Deno.args, {
  io: { out: write(Deno.stdout), err: write(Deno.stderr) },
  env,
  cwd,
  os: Deno.build.os,
  colour: Deno.stderr.isTerminal() && Deno.env.get("NO_COLOR") === undefined,
  execPath: Deno.execPath(),
  mainModule: Deno.mainModule,
  standalone: Deno.build.standalone,
});
Deno.exit(code);
