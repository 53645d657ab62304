// deno-lint-ignore-file no-console -- a benchmark reports on the console
/**
 * The frame of a benchmark's main: a scratch directory for its configs and request bodies, a
 * watchdog, and SIGINT/SIGTERM. On every way out (done, failed, over time, signalled) the child
 * processes are stopped and then the scratch directory is removed, so that daily runs do not
 * fill the temp directory. What a run keeps (its JSON report) it writes elsewhere.
 */

import { stopAll } from "./child.ts";

/**
 * Runs `body` in a fresh scratch directory `ccp-<name>-…` and exits with the code it returns:
 * 1 when it throws, 2 past `limitMs`, 130 on SIGINT or SIGTERM.
 */
export async function benchMain(
  name: string,
  limitMs: number,
  body: (tmp: string) => Promise<number>,
): Promise<never> {
  const tmp = await Deno.makeTempDir({ prefix: `ccp-${name}-` });
  let bailing = false;
  let ending: Promise<never> | undefined;
  // Once only: a run that fails because a bail stopped its children must not end twice.
  const end = (code: number): Promise<never> =>
    ending ??= (async () => {
      await stopAll();
      // The children have exited, so nothing writes into it any more.
      await Deno.remove(tmp, { recursive: true }).catch((error) =>
        console.error(`${name}: could not remove ${tmp}: ${error}`)
      );
      Deno.exit(code);
    })();
  const bail = (why: string, code: number) => {
    bailing = true;
    console.error(`${name}: ${why}; stopping child processes`);
    return end(code);
  };
  const watchdog = setTimeout(() => bail(`over ${limitMs / 1000} s`, 2), limitMs);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => bail(`got ${signal}`, 130));
  }
  let code: number;
  try {
    code = await body(tmp);
  } catch (error) {
    // While bailing out, the run fails because its children were stopped: bail said why.
    if (!bailing) console.error(`${name} failed: ${error instanceof Error ? error.stack : error}`);
    code = 1;
  }
  clearTimeout(watchdog);
  return await end(code);
}

/** Writes `value` as JSON to a new `ccp-<name>-….json` in the temp directory; its path. */
export async function keepJson(name: string, value: unknown): Promise<string> {
  const file = await Deno.makeTempFile({ prefix: `ccp-${name}-`, suffix: ".json" });
  await Deno.writeTextFile(file, JSON.stringify(value, null, 2));
  return file;
}
