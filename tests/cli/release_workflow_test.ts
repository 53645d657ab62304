/** release.yml builds every target of `deno task compile` on a native runner GitHub still hosts. */

import assert from "node:assert/strict";
import { parse } from "yaml";
import { TARGETS } from "../../scripts/compile.ts";
import { ROOT } from "./helpers.ts";

/**
 * Hosted runner labels of each target's OS and CPU. The Intel macOS label moved when macOS 13's
 * image was retired (a job asking for it no longer starts); ARM-only labels cannot build Intel.
 */
const NATIVE: Readonly<Record<(typeof TARGETS)[number], readonly string[]>> = {
  "x86_64-unknown-linux-gnu": ["ubuntu-latest", "ubuntu-24.04", "ubuntu-22.04"],
  "aarch64-unknown-linux-gnu": ["ubuntu-24.04-arm", "ubuntu-22.04-arm"],
  "x86_64-apple-darwin": ["macos-15-intel"],
  "aarch64-apple-darwin": ["macos-latest", "macos-14", "macos-15", "macos-26"],
  "x86_64-pc-windows-msvc": ["windows-latest", "windows-2022", "windows-2025"],
};

Deno.test("release.yml: the five targets, each on a hosted runner of its own OS and CPU", async () => {
  const workflow = parse(await Deno.readTextFile(`${ROOT}/.github/workflows/release.yml`));
  const matrix: { target: string; runner: string }[] = workflow.jobs.build.strategy.matrix.include;
  assert.deepEqual(matrix.map((m) => m.target).sort(), [...TARGETS].sort());
  for (const { target, runner } of matrix) {
    const labels = NATIVE[target as (typeof TARGETS)[number]];
    assert.ok(labels.includes(runner), `${target} runs on ${runner}; native labels: ${labels}`);
  }
});
