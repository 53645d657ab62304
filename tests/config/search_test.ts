import assert from "node:assert/strict";
import { ConfigError } from "../../src/core/errors.ts";
import { configCandidates, defaultConfigDir, findConfigFile } from "../../src/config/search.ts";

/** A fake file system: the set of existing files. */
function fs(...files: string[]) {
  return (path: string) =>
    Promise.resolve(files.includes(path) ? "file" as const : "missing" as const);
}

const base = { cwd: "/work", home: "/home/u" };

Deno.test("defaultConfigDir", () => {
  assert.equal(defaultConfigDir({ XDG_CONFIG_HOME: "/xdg" }), "/xdg/ccp");
  assert.equal(defaultConfigDir({}, "/home/u"), "/home/u/.config/ccp");
  assert.equal(defaultConfigDir({ HOME: "/h" }), "/h/.config/ccp");
  // A relative XDG_CONFIG_HOME is invalid per the XDG spec and ignored.
  assert.equal(defaultConfigDir({ XDG_CONFIG_HOME: "rel" }, "/home/u"), "/home/u/.config/ccp");
  assert.equal(defaultConfigDir({}), undefined);
});

Deno.test("candidates come in their documented order", () => {
  const list = configCandidates({
    ...base,
    flag: "my.yaml",
    env: { CCP_CONFIG: "/etc/ccp.yaml", XDG_CONFIG_HOME: "/xdg" },
  });
  assert.deepEqual(list.map((c) => [c.origin, c.path, c.absolutePath]), [
    ["flag", "my.yaml", "/work/my.yaml"],
    ["env", "/etc/ccp.yaml", "/etc/ccp.yaml"],
    ["cwd", "/work/ccp.yaml", "/work/ccp.yaml"],
    ["xdg", "/xdg/ccp/config.yaml", "/xdg/ccp/config.yaml"],
  ]);
});

Deno.test("findConfigFile", async (t) => {
  const all = fs(
    "/work/my.yaml",
    "/etc/ccp.yaml",
    "/work/ccp.yaml",
    "/home/u/.config/ccp/config.yaml",
  );
  await t.step("--config wins over everything", async () => {
    const found = await findConfigFile({
      ...base,
      flag: "my.yaml",
      env: { CCP_CONFIG: "/etc/ccp.yaml" },
      isFile: all,
    });
    assert.equal(found?.path, "my.yaml");
    assert.equal(found?.absolutePath, "/work/my.yaml");
  });
  await t.step("then $CCP_CONFIG", async () => {
    const found = await findConfigFile({
      ...base,
      env: { CCP_CONFIG: "/etc/ccp.yaml" },
      isFile: all,
    });
    assert.equal(found?.origin, "env");
  });
  await t.step("then ./ccp.yaml", async () => {
    const found = await findConfigFile({ ...base, env: {}, isFile: all });
    assert.equal(found?.path, "/work/ccp.yaml");
  });
  await t.step("then ~/.config/ccp/config.yaml", async () => {
    const found = await findConfigFile({
      ...base,
      env: {},
      isFile: fs("/home/u/.config/ccp/config.yaml"),
    });
    assert.equal(found?.origin, "xdg");
  });
  await t.step("$XDG_CONFIG_HOME replaces ~/.config", async () => {
    const found = await findConfigFile({
      ...base,
      env: { XDG_CONFIG_HOME: "/xdg" },
      isFile: fs("/home/u/.config/ccp/config.yaml", "/xdg/ccp/config.yaml"),
    });
    assert.equal(found?.path, "/xdg/ccp/config.yaml");
  });
  await t.step("nothing found means environment-only mode", async () => {
    assert.equal(await findConfigFile({ ...base, env: {}, isFile: fs() }), undefined);
  });
  await t.step("a missing --config file is an error, even when others exist", async () => {
    await assert.rejects(
      () => findConfigFile({ ...base, flag: "nope.yaml", env: {}, isFile: fs("/work/ccp.yaml") }),
      (err: Error) =>
        err instanceof ConfigError &&
        err.message === "nope.yaml: config file named by --config does not exist",
    );
  });
  await t.step("a missing $CCP_CONFIG file is an error", async () => {
    await assert.rejects(
      () =>
        findConfigFile({ ...base, env: { CCP_CONFIG: "/x.yaml" }, isFile: fs("/work/ccp.yaml") }),
      { name: "ConfigError", message: /\/x\.yaml: config file named by CCP_CONFIG does not exist/ },
    );
  });
  await t.step("a directory named by --config is an error", async () => {
    await assert.rejects(
      () => findConfigFile({ ...base, flag: "/d", env: {}, isFile: () => Promise.resolve("dir") }),
      { message: /is a directory/ },
    );
  });
});

Deno.test("findConfigFile on the real file system", async () => {
  const root = await Deno.makeTempDir({ prefix: "ccp-search-" });
  try {
    await Deno.writeTextFile(`${root}/ccp.yaml`, "routes: {default: ollama/x}\n");
    const found = await findConfigFile({ cwd: root, env: {}, home: `${root}/home` });
    assert.equal(found?.absolutePath, `${root}/ccp.yaml`);
    await Deno.mkdir(`${root}/sub`);
    assert.equal(
      await findConfigFile({ cwd: `${root}/sub`, env: {}, home: `${root}/home` }),
      undefined,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
