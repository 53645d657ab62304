// deno-lint-ignore-file no-console -- a benchmark reports on the console
/**
 * `deno task bench:validation`: what validating a Messages request costs in-process, the way a
 * server meets it: every turn a fresh body parsed from text, validated, then serialised for the
 * upstream. Each turn gets its own session texts, so nothing is cached between turns and the
 * garbage each step leaves behind is paid for, by the GC, inside the measurement. The schema
 * (zod) and the request check the server uses are timed side by side, interleaved by round.
 */

import { parseMessagesRequest, requestSchemas } from "../src/protocols/anthropic_request.ts";
import { sessionBody, turnsFor } from "./bodies.ts";
import { median } from "./stats.ts";

const SIZES = [50_000, 200_000, 800_000];
const TURNS_PER_ROUND = 12;
const ROUNDS = Number(Deno.env.get("ROUNDS") ?? 7);

type Check = (body: unknown) => unknown;
const checks: Array<[string, Check | undefined]> = [
  ["none (parse + stringify)", undefined],
  ["zod schema", (body) => requestSchemas().messages.safeParse(body)],
  ["request check (server)", (body) => parseMessagesRequest(body)],
];

// Distinct texts per size and turn: TURNS_PER_ROUND sessions that differ in every prose text.
const texts = SIZES.map((size) => {
  const turns = turnsFor(size);
  return Array.from(
    { length: TURNS_PER_ROUND },
    (_, seed) => JSON.stringify(sessionBody(turns, seed + 1)),
  );
});

/** Mean ms per turn for parse, check and stringify over one round of fresh texts. */
function round(sizeTexts: readonly string[], check: Check | undefined): number[] {
  const spent = [0, 0, 0];
  for (const text of sizeTexts) {
    const t0 = performance.now();
    const body = JSON.parse(text) as Record<string, unknown>;
    const t1 = performance.now();
    check?.(body);
    const t2 = performance.now();
    JSON.stringify({ ...body, model: "m" });
    const t3 = performance.now();
    spent[0]! += t1 - t0;
    spent[1]! += t2 - t1;
    spent[2]! += t3 - t2;
  }
  return spent.map((ms) => ms / sizeTexts.length);
}

// results[size][check] = per-round [parse, check, stringify]
const results = SIZES.map(() => checks.map(() => [] as number[][]));
for (let r = 0; r < ROUNDS + 1; r++) {
  for (let s = 0; s < SIZES.length; s++) {
    for (let c = 0; c < checks.length; c++) {
      const spent = round(texts[s]!, checks[c]![1]);
      if (r > 0) results[s]![c]!.push(spent); // round 0 warms the JIT
    }
  }
}

const ms = (v: number) => `${v.toFixed(2)} ms`.padStart(10);
console.log(
  `body sizes: ${texts.map((t) => `${(t[0]!.length / 1000).toFixed(0)} KB`).join(", ")}; ` +
    `${TURNS_PER_ROUND} fresh turns per round, median of ${ROUNDS} rounds; ` +
    `load average ${Deno.loadavg().map((l) => l.toFixed(2)).join(" ")}`,
);
console.log(
  `${"check".padEnd(28)}${"size".padStart(8)}${"parse".padStart(10)}${"check".padStart(10)}${
    "stringify".padStart(10)
  }${"turn".padStart(10)}`,
);
for (let s = 0; s < SIZES.length; s++) {
  for (let c = 0; c < checks.length; c++) {
    const rounds = results[s]![c]!;
    const step = [0, 1, 2].map((i) => median(rounds.map((spent) => spent[i]!)));
    const turn = median(rounds.map((spent) => spent[0]! + spent[1]! + spent[2]!));
    console.log(
      `${checks[c]![0].padEnd(28)}${`${SIZES[s]! / 1000} KB`.padStart(8)}${step.map(ms).join("")}${
        ms(turn)
      }`,
    );
  }
}
