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

Deno.test("release.yml: the tag must match the version the binary prints, not deno.json's alone", async () => {
  const workflow = parse(await Deno.readTextFile(`${ROOT}/.github/workflows/release.yml`));
  const steps: { name?: string; run?: string }[] = workflow.jobs.build.steps;
  const check = steps.find((s) => /^Check the tag/.test(s.name ?? ""));
  assert.ok(check?.run, "a step checks the tag");
  const run = async (json: string, source: string, tag: string) => {
    const dir = await Deno.makeTempDir({ prefix: "ccp_release_" });
    try {
      await Deno.mkdir(`${dir}/src`);
      await Deno.writeTextFile(`${dir}/deno.json`, JSON.stringify({ version: json }));
      await Deno.writeTextFile(`${dir}/src/version.ts`, `export const VERSION = "${source}";\n`);
      const out = await new Deno.Command("bash", {
        args: ["-e", "-c", check.run!],
        cwd: dir,
        env: { GITHUB_REF_NAME: tag, GITHUB_ENV: `${dir}/github_env`, NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
      const env = await Deno.readTextFile(`${dir}/github_env`).catch(() => "");
      return { ok: out.success, text, env };
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  };
  const good = await run("0.2.0", "0.2.0", "v0.2.0");
  assert.ok(good.ok, good.text);
  assert.equal(good.env, "VERSION=0.2.0\n");
  assert.equal((await run("0.2.0", "0.2.0", "v0.3.0")).ok, false);
  // deno.json bumped, src/version.ts forgotten: the binary would print 0.1.0 in a 0.2.0 archive.
  const stale = await run("0.2.0", "0.1.0", "v0.2.0");
  assert.equal(stale.ok, false, stale.text);
  assert.match(stale.text, /src\/version\.ts/);
});
