import assert from "node:assert/strict";
import { projectDirOf, startDir } from "../../src/cli/start_dir.ts";

const MAIN = "file:///home/u/ccp/src/main.ts";
const PROJECT = "/home/u/ccp";
const DENO_AGENT = "deno/2.9.6 npm/? deno/2.9.6 linux x86_64";

Deno.test("the project directory is the one above src/", () => {
  assert.equal(projectDirOf(MAIN), PROJECT);
  assert.equal(projectDirOf("file:///home/u/my%20ccp/src/main.ts"), "/home/u/my ccp");
  assert.equal(projectDirOf("file:///C:/Users/u/ccp/src/main.ts"), "C:/Users/u/ccp");
});

Deno.test("INIT_CWD is the start directory only when deno task set it", async (t) => {
  const cases: [
    string,
    { cwd?: string; standalone?: boolean; env: Record<string, string> },
    string,
  ][] = [
    ["deno task start typed in /work", {
      env: { INIT_CWD: "/work", npm_config_user_agent: DENO_AGENT },
    }, "/work"],
    ["deno task start, Windows paths", {
      cwd: "C:\\Users\\u\\ccp",
      env: { INIT_CWD: "D:\\work", npm_config_user_agent: DENO_AGENT },
    }, "D:\\work"],
    ["an npm script started deno run in the project", {
      env: {
        INIT_CWD: "/elsewhere",
        npm_config_user_agent: "npm/10.9.0 node/v22.11.0 linux x64 workspaces/false",
      },
    }, PROJECT],
    ["pnpm or yarn did", {
      env: {
        INIT_CWD: "/elsewhere",
        npm_config_user_agent: "pnpm/9.12.0 npm/? node/v22.11.0 linux x64",
      },
    }, PROJECT],
    ["a parent set INIT_CWD alone", { env: { INIT_CWD: "/elsewhere" } }, PROJECT],
    ["no INIT_CWD", { env: { npm_config_user_agent: DENO_AGENT } }, PROJECT],
    ["run outside the project", {
      cwd: "/somewhere",
      env: { INIT_CWD: "/work", npm_config_user_agent: DENO_AGENT },
    }, "/somewhere"],
    ["a compiled ccp", {
      standalone: true,
      env: { INIT_CWD: "/work", npm_config_user_agent: DENO_AGENT },
    }, PROJECT],
  ];
  for (const [name, facts, expected] of cases) {
    await t.step(name, () => {
      const cwd = facts.cwd ?? PROJECT;
      const mainUrl = cwd.startsWith("C:") ? "file:///C:/Users/u/ccp/src/main.ts" : MAIN;
      assert.equal(
        startDir({ cwd, mainUrl, standalone: facts.standalone ?? false, env: facts.env }),
        expected,
      );
    });
  }
});
