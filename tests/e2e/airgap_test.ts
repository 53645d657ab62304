/**
 * ccp on a machine with no network: starts tests/e2e/airgap_runner.ts inside a network namespace
 * that has only loopback (`unshare -n`, root on Linux; skipped with a reason elsewhere) and checks
 * start-up, a streamed request to a local model, a local count_tokens and `ccp check`.
 */

import assert from "node:assert/strict";

const RUNNER = new URL("./airgap_runner.ts", import.meta.url).pathname;

async function unshareWorks(): Promise<string | undefined> {
  if (Deno.build.os !== "linux") return "network namespaces are Linux-only";
  try {
    const out = await new Deno.Command("unshare", { args: ["-n", "true"], stderr: "piped" })
      .output();
    return out.success
      ? undefined
      : `unshare -n is not allowed here (${new TextDecoder().decode(out.stderr).trim()})`;
  } catch {
    return "unshare is not installed";
  }
}

const skip = await unshareWorks();
// deno-lint-ignore no-console -- say why the test is skipped
if (skip) console.error(`air-gapped test skipped: ${skip}`);

Deno.test({
  name:
    "air-gapped: start-up, a streamed request, local count_tokens and ccp check with no network",
  ignore: skip !== undefined,
  fn: async () => {
    const script = `ip link set lo up && exec "${Deno.execPath()}" run --allow-all "${RUNNER}"`;
    const out = await new Deno.Command("unshare", {
      args: ["-n", "sh", "-c", script],
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(90_000),
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    assert.ok(out.success, `${stdout}\n${new TextDecoder().decode(out.stderr)}`);
    const result = JSON.parse(stdout.trim().split("\n").at(-1)!);
    assert.deepEqual(result.interfaces, ["lo"], "only loopback exists");
    assert.equal(result.stream.status, 200);
    assert.equal(result.stream.text, "offline answer");
    assert.ok(result.stream.ended, "the stream ended with message_stop");
    assert.ok(result.countTokens.input_tokens > 5, JSON.stringify(result.countTokens));
    assert.equal(result.check.code, 0, result.check.output);
    assert.match(result.check.output, /local/);
  },
});
