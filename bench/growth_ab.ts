// deno-lint-ignore-file no-console -- a benchmark reports on the console
/**
 * `deno task bench:growth-ab --root A --root B [--rounds N]`: the growth rows of `deno task bench`
 * (a Claude Code session's next ten turns from 50 KB and 800 KB, CPU of the ccp process per
 * turn) for two checkouts at once, round by round, so a before/after pair shares the machine's
 * load. A single bench run's growth rows vary 2–3× from run to run on a shared machine; many
 * alternating rounds are what show a change of a fraction of a millisecond.
 */

import { parseArgs } from "node:util";
import { stopAll } from "./child.ts";
import { turnsFor } from "./bodies.ts";
import { perRequest, type Scenario, sessionTurns } from "./per_request.ts";
import { type Path, type Rig, startRig } from "./rig.ts";
import { median } from "./stats.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { root: { type: "string", multiple: true }, rounds: { type: "string", default: "9" } },
});
const roots = values.root ?? [];
if (roots.length === 0) throw new Error("give the checkouts to compare with --root DIR");
const rounds = Number(values.rounds);
const paths: Path[] = [{ upstream: "anthropic", via: "ccp" }, { upstream: "openai", via: "ccp" }];
const sizes = [50, 800];

const tmp = await Deno.makeTempDir({ prefix: "ccp-growth-ab-" });
try {
  const rigs: Rig[] = [];
  for (const [i, root] of roots.entries()) {
    await Deno.mkdir(`${tmp}/${i}`);
    rigs.push(await startRig(root, `${tmp}/${i}`));
  }
  // One scenario per rig and size: each round is the next session, the same for every rig.
  const scenarios = rigs.map((rig) =>
    sizes.map((kb): Scenario => {
      const turns = turnsFor(kb * 1000);
      return sessionTurns(rig, turns, turns + 9);
    })
  );
  // cpu[rig][size][path] = ms per turn, one value per round; faults[…] page faults per turn
  const cpu = rigs.map(() => sizes.map(() => paths.map(() => [] as number[])));
  const faults = rigs.map(() => sizes.map(() => paths.map(() => [] as number[])));
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < rigs.length; k++) {
      const r = (k + round) % rigs.length; // alternate which checkout goes first
      for (let s = 0; s < sizes.length; s++) {
        const costs = await perRequest(rigs[r]!, paths, scenarios[r]![s]!, 1);
        costs.forEach((cost, p) => {
          cpu[r]![s]![p]!.push(cost.cpuMs.median);
          faults[r]![s]![p]!.push(cost.faults.median);
        });
      }
    }
    console.error(`· round ${round + 1}/${rounds}`);
  }
  const load = Deno.loadavg().map((l) => l.toFixed(2)).join(" ");
  console.log(`CPU of the ccp process per turn, median of ${rounds} rounds; load average ${load}`);
  for (let r = 0; r < rigs.length; r++) {
    for (let p = 0; p < paths.length; p++) {
      const at = sizes.map((_, s) => cpu[r]![s]![p]!);
      const medians = at.map((v) => median(v));
      const text = sizes.map((kb, s) =>
        `${kb} KB ${medians[s]!.toFixed(2)} ms (${Math.min(...at[s]!).toFixed(2)}–${
          Math.max(...at[s]!).toFixed(2)
        })`
      ).join(", ");
      const name = paths[p]!.upstream === "anthropic" ? "passthrough" : "translated";
      // A checkout whose runner predates the count reports none.
      const faulted = sizes.map((kb, s) => {
        const count = median(faults[r]![s]![p]!);
        return `${kb} KB ${Number.isFinite(count) ? count.toFixed(0) : "n/a"}`;
      });
      console.log(
        `${roots[r]} ${name}: ${text}; 800/50 ${(medians[1]! / medians[0]!).toFixed(1)}×; ` +
          `page faults per turn ${faulted.join(", ")}`,
      );
    }
  }
} finally {
  await stopAll();
  await Deno.remove(tmp, { recursive: true });
}
