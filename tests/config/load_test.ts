import assert from "node:assert/strict";
import { ConfigError } from "../../src/core/errors.ts";
import { loadConfig } from "../../src/config/load.ts";

/** Runs `fn` with a fresh temp tree holding a work dir, a home and an XDG config dir. */
async function withTree(
  fn: (dirs: { root: string; cwd: string; home: string; xdg: string }) => Promise<void>,
): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "ccp-load-" });
  try {
    const dirs = { root, cwd: `${root}/work`, home: `${root}/home`, xdg: `${root}/xdg` };
    await Deno.mkdir(dirs.cwd);
    await Deno.mkdir(`${dirs.xdg}/ccp`, { recursive: true });
    await Deno.mkdir(dirs.home);
    await fn(dirs);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

const KEYED = `
providers:
  nim:
    preset: nvidia_nim
    api_key: \${NIM_KEY}
routes:
  default: nim/z-ai/glm4.7
`;

Deno.test("./ccp.yaml with keys from ./.env", () =>
  withTree(async ({ cwd, home }) => {
    await Deno.writeTextFile(`${cwd}/ccp.yaml`, KEYED);
    await Deno.writeTextFile(`${cwd}/.env`, "NIM_KEY=from-dotenv\n");
    const config = await loadConfig({ flags: {}, env: {}, cwd, home });
    assert.deepEqual(config.source, { kind: "file", path: `${cwd}/ccp.yaml` });
    assert.deepEqual(config.providers.nim?.apiKeys, ["from-dotenv"]);
  }));

Deno.test("the config dir's .env < ./.env < the real environment", () =>
  withTree(async ({ cwd, home, xdg }) => {
    await Deno.writeTextFile(
      `${xdg}/ccp/config.yaml`,
      `${KEYED}server:\n  port: \${P}\n  host: \${H}\n`,
    );
    await Deno.writeTextFile(`${xdg}/ccp/.env`, "NIM_KEY=dir\nP=7001\nH=10.0.0.1\n");
    await Deno.writeTextFile(`${cwd}/.env`, "NIM_KEY=cwd\nP=7002\n");
    const env = { XDG_CONFIG_HOME: xdg, NIM_KEY: "real" };
    const config = await loadConfig({ flags: {}, env, cwd, home });
    assert.equal(config.source.kind === "file" && config.source.path, `${xdg}/ccp/config.yaml`);
    assert.deepEqual(config.providers.nim?.apiKeys, ["real"]);
    assert.equal(config.server.port, 7002);
    assert.equal(config.server.host, "10.0.0.1");
  }));

Deno.test("the config dir's .env is read whichever file is in use; the one beside the file wins", () =>
  withTree(async ({ root, cwd, home, xdg }) => {
    // `ccp init` writes keys to the config dir's .env; ./ccp.yaml or --config elsewhere reads them.
    await Deno.writeTextFile(`${xdg}/ccp/.env`, "NIM_KEY=dir\nP=7001\nH=10.0.0.1\n");
    await Deno.writeTextFile(`${cwd}/ccp.yaml`, `${KEYED}server:\n  port: \${P}\n`);
    const env = { XDG_CONFIG_HOME: xdg };
    const local = await loadConfig({ flags: {}, env, cwd, home });
    assert.equal(local.source.kind === "file" && local.source.path, `${cwd}/ccp.yaml`);
    assert.deepEqual(local.providers.nim?.apiKeys, ["dir"]);
    assert.equal(local.server.port, 7001);
    // A file elsewhere: the .env beside it wins over the config dir's, ./.env over both.
    await Deno.mkdir(`${root}/etc`);
    await Deno.writeTextFile(
      `${root}/etc/ccp.yaml`,
      `${KEYED}server:\n  port: \${P}\n  host: \${H}\n`,
    );
    await Deno.writeTextFile(`${root}/etc/.env`, "NIM_KEY=beside\nP=7003\n");
    await Deno.writeTextFile(`${cwd}/.env`, "P=7004\n");
    const other = await loadConfig({ flags: { config: `${root}/etc/ccp.yaml` }, env, cwd, home });
    assert.deepEqual(other.providers.nim?.apiKeys, ["beside"]);
    assert.equal(other.server.port, 7004);
    assert.equal(other.server.host, "10.0.0.1");
  }));

Deno.test("~/.config/ccp/config.yaml when XDG_CONFIG_HOME is unset", () =>
  withTree(async ({ cwd, home }) => {
    await Deno.mkdir(`${home}/.config/ccp`, { recursive: true });
    await Deno.writeTextFile(`${home}/.config/ccp/config.yaml`, "routes: {default: vllm/m}\n");
    const config = await loadConfig({ flags: {}, env: {}, cwd, home });
    assert.deepEqual(config.routes.default, [{ provider: "vllm", model: "m" }]);
  }));

Deno.test("--config is used as given and beats ./ccp.yaml; CCP_CONFIG may come from ./.env", () =>
  withTree(async ({ root, cwd, home }) => {
    await Deno.writeTextFile(`${cwd}/ccp.yaml`, "routes: {default: ollama/cwd}\n");
    await Deno.writeTextFile(`${root}/other.yaml`, "routes: {default: ollama/flag}\n");
    await Deno.writeTextFile(`${root}/env.yaml`, "routes: {default: ollama/env}\n");
    const byFlag = await loadConfig({ flags: { config: "../other.yaml" }, env: {}, cwd, home });
    assert.deepEqual(byFlag.routes.default, [{ provider: "ollama", model: "flag" }]);
    await Deno.writeTextFile(`${cwd}/.env`, `CCP_CONFIG=${root}/env.yaml\n`);
    const byEnv = await loadConfig({ flags: {}, env: {}, cwd, home });
    assert.deepEqual(byEnv.routes.default, [{ provider: "ollama", model: "env" }]);
  }));

Deno.test("errors name the file as found", () =>
  withTree(async ({ cwd, home }) => {
    await Deno.writeTextFile(
      `${cwd}/config.yaml`,
      "providers:\n  nim: {preset: nvidia_nim}\nroutes:\n  default: nmi/x\n",
    );
    await assert.rejects(
      () => loadConfig({ flags: { config: "config.yaml" }, env: {}, cwd, home }),
      (err: Error) =>
        err instanceof ConfigError &&
        err.message.startsWith('config.yaml: routes.default: unknown provider "nmi" (known: nim)'),
    );
    await assert.rejects(
      () => loadConfig({ flags: { config: "missing.yaml" }, env: {}, cwd, home }),
      {
        name: "ConfigError",
        message: "missing.yaml: config file named by --config does not exist",
      },
    );
  }));

Deno.test("no file: MODEL from ./.env selects environment-only mode", () =>
  withTree(async ({ cwd, home }) => {
    await Deno.writeTextFile(
      `${cwd}/.env`,
      "MODEL=ollama/llama3\nOLLAMA_BASE_URL=http://gpu:11434\n",
    );
    const config = await loadConfig({ flags: {}, env: {}, cwd, home });
    assert.deepEqual(config.source, { kind: "env" });
    assert.equal(config.providers.ollama?.baseUrl, "http://gpu:11434");
  }));

Deno.test("no file and no MODEL: the embedded default", () =>
  withTree(async ({ cwd, home }) => {
    const config = await loadConfig({ flags: { port: 9100 }, env: {}, cwd, home });
    assert.deepEqual(config.source, { kind: "default" });
    assert.equal(config.server.port, 9100);
  }));

Deno.test("no config: a claude-code-router or free-claude-code config in the home is named", () =>
  withTree(async ({ cwd, home }) => {
    const quiet = await loadConfig({ flags: {}, env: {}, cwd, home });
    assert.ok(!quiet.warnings.some((w) => /claude-code-router|free-claude-code/.test(w)));
    await Deno.mkdir(`${home}/.claude-code-router`);
    await Deno.writeTextFile(`${home}/.claude-code-router/config.json`, "{}");
    await Deno.mkdir(`${home}/.config/free-claude-code`, { recursive: true });
    await Deno.writeTextFile(`${home}/.config/free-claude-code/.env`, "MODEL=ollama/x\n");
    const config = await loadConfig({ flags: {}, env: {}, cwd, home });
    assert.equal(config.source.kind, "default");
    const text = config.warnings.join("\n");
    assert.match(text, /\.claude-code-router\/config\.json.*not read.*ccp init --from ccr/);
    assert.match(text, /free-claude-code\/\.env.*not read.*\.config\/ccp\/\.env/);
    // Once ccp has a configuration of its own, the peers' files are not its business.
    await Deno.writeTextFile(`${cwd}/.env`, "MODEL=ollama/m\n");
    const env = await loadConfig({ flags: {}, env: {}, cwd, home });
    assert.ok(!env.warnings.some((w) => /claude-code-router|free-claude-code/.test(w)));
    // The home may come from HOME alone, as it does for the real program.
    await Deno.remove(`${cwd}/.env`);
    const byVar = await loadConfig({ flags: {}, env: { HOME: home }, cwd });
    assert.ok(byVar.warnings.some((w) => /claude-code-router/.test(w)), byVar.warnings.join("\n"));
  }));
