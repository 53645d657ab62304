// deno-lint-ignore-file no-console -- a benchmark reports on the console
/**
 * `deno task bench:startup [--root DIR]… [--runs N] [--translated]`: cold start of
 * `src/main.ts serve` to its first answer, and the server process's RSS once idle after it. Each
 * checkout given with `--root` (this one when none is) is spawned in turn, round by round, so a
 * before/after pair shares the same machine load. The mock upstream runs in its own process.
 *
 * `--translated` routes the requests to an OpenAI-compatible provider instead and sends the first
 * one a second after ccp listens, as a client started beside ccp does: the "1st answer" column is
 * then that request's own time, what the first translated turn of a session waits.
 */

import { parseArgs } from "node:util";
import { Child, denoCommand, stopAll } from "./child.ts";
import { configYaml, FLAGS, startRunner } from "./rig.ts";
import { askOnce, CLI_FLAGS, freePort, untilListening } from "./startup.ts";
import { sampleProc } from "./proc.ts";
import { median } from "./stats.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    root: { type: "string", multiple: true },
    runs: { type: "string", default: "7" },
    translated: { type: "boolean", default: false },
  },
});
const here = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const roots = values.root?.length ? values.root : [here];
const runs = Number(values.runs);
const translated = values.translated;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Run {
  listeningMs: number;
  answerMs: number;
  idleRssMB: number;
  /** Its private part (RssAnon); the rest is the deno executable's shared code pages. */
  privateMB: number;
}

async function once(root: string, configPath: string): Promise<Run> {
  const port = freePort();
  const args = ["serve", "--config", configPath, "--port", String(port)];
  const child = new Child("ccp", denoCommand(root, CLI_FLAGS, "src/main.ts", args));
  try {
    const listeningMs = await untilListening(child, port, 15_000);
    let answerMs: number;
    if (translated) {
      await sleep(1000);
      const asked = performance.now();
      await askOnce(port, "oai/f20-d0");
      answerMs = performance.now() - asked;
    } else {
      await askOnce(port);
      answerMs = performance.now() - child.spawnedAt;
    }
    await sleep(1000);
    const { rssMB, anonMB } = await sampleProc(child.pid);
    return { listeningMs, answerMs, idleRssMB: rssMB, privateMB: anonMB };
  } finally {
    await child.stop();
  }
}

const tmp = await Deno.makeTempDir({ prefix: "ccp-startup-" });
try {
  const mock = await startRunner(here, "mock", FLAGS.mock, "bench/mock_runner.ts", [
    "--port",
    "0",
  ]);
  const configPath = `${tmp}/ccp.yaml`;
  const yaml = configYaml(`http://127.0.0.1:${mock.port}`);
  const routed = yaml.replace("default: anth/f200-d0", "default: oai/f200-d0");
  // Without the OpenAI route there is nothing to load ahead, and the figure would mean nothing.
  if (translated && routed === yaml) throw new Error("bench/rig.ts's config has no default route");
  await Deno.writeTextFile(configPath, translated ? routed : yaml);
  const results = roots.map(() => [] as Run[]);
  for (let r = 0; r <= runs; r++) {
    for (let i = 0; i < roots.length; i++) {
      const run = await once(roots[i]!, configPath);
      if (r > 0) results[i]!.push(run); // the first spawn fills caches
    }
  }
  const load = Deno.loadavg().map((l) => l.toFixed(2)).join(" ");
  const what = translated ? "an OpenAI route, asked 1 s after listening" : "an Anthropic route";
  console.log(
    `src/main.ts serve, ${what}, ${runs} spawns each after one uncounted; load average ${load}`,
  );
  console.log(
    `${"checkout".padEnd(40)}${"listening".padStart(12)}${"1st answer".padStart(12)}${
      "idle RSS".padStart(12)
    }${"private".padStart(10)}`,
  );
  for (let i = 0; i < roots.length; i++) {
    const of = (pick: (run: Run) => number) => median(results[i]!.map(pick));
    const spread = (pick: (run: Run) => number) => {
      const all = results[i]!.map(pick);
      return `${Math.min(...all).toFixed(0)}–${Math.max(...all).toFixed(0)}`;
    };
    console.log(
      `${roots[i]!.padEnd(40)}${`${of((r) => r.listeningMs).toFixed(0)} ms`.padStart(12)}${
        `${of((r) => r.answerMs).toFixed(0)} ms`.padStart(12)
      }${`${of((r) => r.idleRssMB).toFixed(1)} MB`.padStart(12)}${
        `${of((r) => r.privateMB).toFixed(1)} MB`.padStart(10)
      }   (1st answer ${spread((r) => r.answerMs)} ms, RSS ${spread((r) => r.idleRssMB)} MB)`,
    );
  }
} finally {
  await stopAll();
  await Deno.remove(tmp, { recursive: true });
}
