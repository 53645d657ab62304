/**
 * A careless operator's config never prints a secret (YAML error excerpts, proxy URLs: at start,
 * in `ccp check` and at SIGHUP); a token no client can send is refused at start, one too short
 * for a public address is warned about.
 */

import assert from "node:assert/strict";
import { childEnv, inTempDir, runCcp, spawnCcp } from "../cli/helpers.ts";

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
  await inTempDir("ccp-creds-", async (dir) => {
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
          await ccp.waitForStderr(/\(or run: deno task start code[^)\n]*\)\n/);
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

Deno.test("a token no client can send is refused at start", async () => {
  await inTempDir("ccp-creds-", async (dir) => {
    await Deno.writeTextFile(`${dir}/c.yaml`, VALID);
    const token = "abcdefgh:ijklmnopqrstuvwxyz";
    const run = await runCcp(["serve", "--config", "c.yaml", "--port", "0"], {
      cwd: dir,
      env: childEnv(dir, { CCP_AUTH_TOKEN: token }),
    });
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /contains ':'/);
    assert.ok(!run.stderr.includes(token), "the token itself is not printed");
  });
});

Deno.test("a token too short for a public address starts with a warning", async () => {
  // The contract refuses a public address only without a token; a guessable one is the
  // operator's choice, said out loud at start and by `ccp check`.
  await inTempDir("ccp-creds-", async (dir) => {
    await Deno.writeTextFile(`${dir}/c.yaml`, VALID);
    const token = "short-tok";
    const env = childEnv(dir, { CCP_AUTH_TOKEN: token });
    const flags = ["--config", "c.yaml", "--port", "0", "--host", "0.0.0.0"];
    const ccp = await spawnCcp(["serve", ...flags], { cwd: dir, env });
    try {
      await ccp.waitForStderr(/9-character auth token[^\n]*at least 16 random characters/);
      assert.ok(!ccp.stderr().includes(token), "the token itself is not printed");
    } finally {
      await ccp.kill();
    }
    const check = await runCcp(["check", ...flags], { cwd: dir, env });
    assert.equal(check.code, 0, check.stderr);
    assert.match(check.stdout, /Warning: .*9-character auth token/);
  });
});
