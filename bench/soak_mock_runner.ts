// deno-lint-ignore-file no-console -- a runner answers the benchmark on stdout
/**
 * The soak's upstream: tests/mocks/fault_mock.ts in its own process, injecting a seeded mix of
 * faults into a share of requests, and always answering 401 for the keys named `--bad-keys`.
 * Listens on 127.0.0.1:0 and prints "ready <port>"; then answers `stats` and `usage` lines on
 * stdin, and `unseen <tag,tag,…>` with the tags no request it received carried; exits at EOF.
 *
 *   deno run --allow-net bench/soak_mock_runner.ts --seed 7 --fault-rate 0.2 \
 *     --idle-ms 500 --drip-ms 30 --bad-keys k3,k6
 */

import { type Fault, startFaultMock } from "../tests/mocks/fault_mock.ts";
import { seeded } from "../tests/helpers/random.ts";
import { flag, usage } from "./control.ts";
import { TAG_PREFIX } from "./soak_load_runner.ts";

const TAG = new RegExp(`${TAG_PREFIX}([\\w-]+)`);

/** The soak tag a request carries in its messages, if any. */
function tagOf(body: Record<string, unknown> | undefined): string | undefined {
  return body ? TAG.exec(JSON.stringify(body.messages))?.[1] : undefined;
}

/** Relative weights of the injected faults (the 401s come from the bad keys, on top). */
export const FAULT_MIX: ReadonlyArray<readonly [weight: number, fault: Fault]> = [
  [4, { kind: "status", status: 429, retryAfter: 1, message: "rate limit exceeded for this key" }],
  [3, { kind: "status", status: 500, message: "internal error" }],
  [3, { kind: "status", status: 503, message: "service unavailable" }],
  [3, { kind: "status", status: 529, message: "Overloaded" }],
  [4, { kind: "reset", afterEvents: 3 }],
  [3, { kind: "stall", afterEvents: 2 }],
];

/** Picks the fault for one request: `rate` of them get one from FAULT_MIX, by weight. */
export function faultPicker(rate: number, random: () => number): () => Fault | undefined {
  const total = FAULT_MIX.reduce((n, [w]) => n + w, 0);
  return () => {
    if (random() >= rate) return undefined;
    let roll = random() * total;
    for (const [weight, fault] of FAULT_MIX) if ((roll -= weight) < 0) return fault;
    return FAULT_MIX.at(-1)![1];
  };
}

if (import.meta.main) {
  const args = Deno.args;
  const pickFault = faultPicker(
    Number(flag(args, "fault-rate", "0.2")),
    seeded(Number(flag(args, "seed", "7"))),
  );
  const everyMs = Number(flag(args, "drip-ms", "0"));
  const bad = new Set(flag(args, "bad-keys", "").split(",").filter(Boolean));
  const refused: Fault = { kind: "status", status: 401, message: "invalid x-api-key" };
  // Which client requests reached the upstream at all, whatever they were answered.
  const seen = new Set<string>();
  const mock = startFaultMock({
    // Normal answers drip like a model streaming tokens, so the run has a realistic pace.
    script: (request) => {
      const tag = tagOf(request.body);
      if (tag) seen.add(tag);
      return request.key && bad.has(request.key)
        ? refused
        : pickFault() ?? { kind: "drip", everyMs, deltas: 8 };
    },
    // A stall lasts until ccp's idle timeout closes it; past this the mock gives up itself.
    maxHoldMs: Number(flag(args, "idle-ms", "500")) * 20,
    maxConnections: 1024,
    maxRecords: 0,
  });
  // Deno.listen has no onListen: the port is known at once.
  console.log(`ready ${new URL(mock.url).port}`);
  let rest = "";
  for await (const text of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
    const lines = (rest + text).split("\n");
    rest = lines.pop() ?? "";
    for (const line of lines.map((l) => l.trim())) {
      if (line === "stats") console.log(`stats ${JSON.stringify(mock.stats)}`);
      else if (line === "usage") console.log(`usage ${JSON.stringify(usage())}`);
      else if (line.startsWith("unseen ")) {
        const tags = line.slice("unseen ".length).split(",").filter(Boolean);
        console.log(`unseen ${JSON.stringify(tags.filter((t) => !seen.has(t)))}`);
      }
    }
  }
  await mock.close();
  Deno.exit(0);
}
