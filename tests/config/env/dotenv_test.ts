import assert from "node:assert/strict";
import {
  dotenvProxies,
  loadEnvWithDotenv,
  mergeEnv,
  parseDotenv,
  readDotenvFile,
} from "../../../src/config/env/dotenv.ts";

Deno.test("parseDotenv handles quotes, comments and export", async () => {
  const parsed = await parseDotenv(
    "# comment\nA=1\nB='two words'\nC=\"x#y\" # trailing\nexport D=4\nEMPTY=\n",
  );
  assert.deepEqual(parsed, { A: "1", B: "two words", C: "x#y", D: "4", EMPTY: "" });
});

Deno.test("mergeEnv: real env > ./.env > config dir .env", () => {
  const merged = mergeEnv(
    { REAL: "real", BOTH: "real", UNSET: undefined },
    { BOTH: "cwd", CWD: "cwd", SHARED: "cwd" },
    { SHARED: "dir", DIR: "dir", UNSET: "dir" },
  );
  assert.deepEqual(merged, {
    REAL: "real",
    BOTH: "real",
    CWD: "cwd",
    SHARED: "cwd",
    DIR: "dir",
    // An undefined real value does not hide a file value.
    UNSET: "dir",
  });
});

Deno.test("loadEnvWithDotenv reads both files without touching Deno.env", async (t) => {
  const root = await Deno.makeTempDir({ prefix: "ccp-dotenv-" });
  try {
    const cwd = `${root}/work`;
    const configDir = `${root}/config`;
    await Deno.mkdir(cwd);
    await Deno.mkdir(configDir);
    await Deno.writeTextFile(`${cwd}/.env`, "KEY=from-cwd\nCWD_ONLY=1\nCCP_TEST_UNIQUE_VAR=cwd\n");
    await Deno.writeTextFile(`${configDir}/.env`, "KEY=from-dir\nDIR_ONLY=2\n");

    await t.step("./.env wins over the config dir's", async () => {
      const env = await loadEnvWithDotenv({ env: {}, cwd, configDir });
      assert.deepEqual(env, {
        KEY: "from-cwd",
        CWD_ONLY: "1",
        DIR_ONLY: "2",
        CCP_TEST_UNIQUE_VAR: "cwd",
      });
    });
    await t.step("the real environment wins over both", async () => {
      const env = await loadEnvWithDotenv({ env: { KEY: "real" }, cwd, configDir });
      assert.equal(env.KEY, "real");
    });
    await t.step("Deno.env is left alone", () => {
      assert.equal(Deno.env.get("CCP_TEST_UNIQUE_VAR"), undefined);
    });
    await t.step("missing files are fine", async () => {
      const env = await loadEnvWithDotenv({
        env: { A: "1" },
        cwd: `${root}/nowhere`,
        configDir: `${root}/also-nowhere`,
      });
      assert.deepEqual(env, { A: "1" });
      assert.deepEqual(await readDotenvFile(`${root}/missing/.env`), {});
    });
    await t.step("the same directory is read once", async () => {
      const env = await loadEnvWithDotenv({ env: {}, cwd: configDir, configDir });
      assert.deepEqual(env, { KEY: "from-dir", DIR_ONLY: "2" });
    });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("dotenvProxies: the proxy variables only a .env file set", () => {
  const real = { HTTP_PROXY: "http://own:1", PATH: "/bin" };
  const merged = {
    ...real,
    HTTPS_PROXY: "http://file:2",
    no_proxy: "corp.test",
    Https_Proxy: "not read by anyone",
    OPENAI_PROXY: "a provider's own, not the environment's",
  };
  assert.deepEqual(dotenvProxies(real, merged), {
    HTTPS_PROXY: "http://file:2",
    no_proxy: "corp.test",
  });
  assert.equal(dotenvProxies(real, real), undefined);
});
