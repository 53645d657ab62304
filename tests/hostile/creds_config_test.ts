/**
 * A careless operator's config never prints a secret (YAML error excerpts, proxy URLs: at start,
 * in `ccp check` and at SIGHUP), and tokens that cannot protect anything are refused at start.
 */

import assert from "node:assert/strict";
import { childEnv, runCcp, spawnCcp } from "../cli/helpers.ts";

async function inTempDir(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ccp-creds-" });
  try {
    await run(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const SECRET = "literalsecret0123456789zz";
const PASSWORD = "hunter2password";

const BROKEN_YAML = `providers:
  up:
    type: openai
    base_url: http://127.0.0.1:9/v1
    api_key: ${SECRET}: x
routes:
  default: up/m
`;

const BAD_PROXY = `providers:
  up:
    type: openai
    base_url: http://127.0.0.1:9/v1
    api_key: sk-whatever-0123456789
    proxy: ftp://user:${PASSWORD}@proxy.example:21
routes:
  default: up/m
`;

const VALID = `providers:
  up:
    type: openai
    base_url: http://127.0.0.1:9/v1
    api_keys:
      - ${SECRET}
routes:
  default: up/m
`;

Deno.test("config errors never print a key or a proxy password", async (t) => {
  await inTempDir(async (dir) => {
    const cases: [string, string, string][] = [
      ["YAML syntax error", BROKEN_YAML, SECRET],
      ["proxy URL", BAD_PROXY, PASSWORD],
    ];
    for (const [name, text, secret] of cases) {
      await t.step(`${name}: ccp check and ccp serve`, async () => {
        await Deno.writeTextFile(`${dir}/c.yaml`, text);
        for (const command of ["check", "serve"]) {
          const run = await runCcp([command, "--config", "c.yaml", "--port", "0"], {
            cwd: dir,
            env: childEnv(dir),
          });
          assert.equal(run.code, 1, run.stderr);
          assert.match(run.stderr + run.stdout, /c\.yaml:\d+:\d+: invalid YAML|proxy URL/);
          assert.ok(!(run.stderr + run.stdout).includes(secret), run.stderr);
        }
      });
    }
    if (Deno.build.os !== "windows") {
      await t.step("SIGHUP reload of a broken file", async () => {
        await Deno.writeTextFile(`${dir}/c.yaml`, VALID);
        const ccp = await spawnCcp(["serve", "--config", "c.yaml", "--port", "0"], {
          cwd: dir,
          env: childEnv(dir),
        });
        try {
          await ccp.waitForStderr(/\(or run: ccp code\)\n/);
          await Deno.writeTextFile(`${dir}/c.yaml`, BROKEN_YAML);
          ccp.process.kill("SIGHUP");
          await ccp.waitForStderr(/Config reload failed[^]*invalid YAML[^]*\^/);
          assert.ok(!ccp.stderr().includes(SECRET), ccp.stderr());
        } finally {
          await ccp.kill();
        }
      });
    }
  });
});

Deno.test("a token no client can send, or too short for a public address, is refused at start", async (t) => {
  await inTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/c.yaml`, VALID);
    const cases = [
      ["1-character token on 0.0.0.0", "x", ["--host", "0.0.0.0"], /at least 16/],
      ["token with ':'", "abcdefgh:ijklmnopqrstuvwxyz", [], /contains ':'/],
    ] as const;
    for (const [name, token, flags, message] of cases) {
      await t.step(name, async () => {
        const run = await runCcp(["serve", "--config", "c.yaml", "--port", "0", ...flags], {
          cwd: dir,
          env: childEnv(dir, { CCP_AUTH_TOKEN: token }),
        });
        assert.equal(run.code, 1, run.stderr);
        assert.match(run.stderr, message);
        assert.ok(
          !run.stderr.includes(token) || token.length === 1,
          "the token itself is not printed",
        );
      });
    }
  });
});
