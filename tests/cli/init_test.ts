import assert from "node:assert/strict";
import { runCli } from "../../src/cli/run.ts";
import { CONFIG_YAML_TEMPLATE, DOTENV_TEMPLATE } from "../../src/config/template.ts";
import { testContext } from "./helpers.ts";

Deno.test("init writes config.yaml and .env into the config dir, then leaves them alone", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_init_" });
  try {
    const ctx = testContext(dir);
    assert.equal(await runCli(["init"], ctx), 0);
    const configFile = `${dir}/xdg/ccp/config.yaml`;
    const envFile = `${dir}/xdg/ccp/.env`;
    assert.equal(await Deno.readTextFile(configFile), CONFIG_YAML_TEMPLATE);
    assert.equal(await Deno.readTextFile(envFile), DOTENV_TEMPLATE);
    if (Deno.build.os !== "windows") assert.equal((await Deno.stat(envFile)).mode! & 0o777, 0o600);
    const out = ctx.io.stdout.join("\n");
    assert.match(out, new RegExp(`Wrote ${configFile}\n`));
    assert.match(out, /Next steps:/);
    // Run from source (as this context is), the steps say what to type there.
    assert.match(out, / {2}3\. deno task start check /);
    assert.match(out, / {2}4\. deno task start serve .*or: deno task start code /);

    // The written config passes check as it is.
    const checked = testContext(dir);
    assert.equal(await runCli(["check"], checked), 0, checked.io.stderr.join("\n"));
    assert.match(checked.io.stdout.join("\n"), new RegExp(`Source: config file ${configFile}`));

    // A second run touches nothing.
    await Deno.writeTextFile(configFile, "# mine\n");
    const again = testContext(dir);
    assert.equal(await runCli(["init"], again), 0);
    assert.equal(await Deno.readTextFile(configFile), "# mine\n");
    const text = again.io.stdout.join("\n");
    assert.ok(text.includes(`${configFile} exists, left alone`), text);
    assert.ok(text.includes(`${envFile} exists, left alone`), text);
    // The file left alone is the user's: the steps do not say what it starts with.
    assert.match(text, new RegExp(`^ {2}2\\. Edit ${configFile}: providers and routes$`, "m"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("init --config FILE writes that file and a .env beside it, creating dirs", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_init_" });
  try {
    const ctx = testContext(dir);
    assert.equal(await runCli(["init", "--config", "deep/er/my.yaml"], ctx), 0);
    assert.equal(await Deno.readTextFile(`${dir}/deep/er/my.yaml`), CONFIG_YAML_TEMPLATE);
    assert.equal(await Deno.readTextFile(`${dir}/deep/er/.env`), DOTENV_TEMPLATE);
    assert.match(ctx.io.stdout.join("\n"), /deno task start check --config deep\/er\/my\.yaml/);
    const checked = testContext(dir);
    assert.equal(await runCli(["check", "--config", "deep/er/my.yaml"], checked), 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("init's next steps quote a --config path the shell would split", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_init_" });
  try {
    const ctx = testContext(dir);
    assert.equal(await runCli(["init", "--config", "my configs/it's.yaml"], ctx), 0);
    const out = ctx.io.stdout.join("\n");
    // Pasted as printed, the command must name the same file.
    assert.ok(out.includes(`check --config 'my configs/it'\\''s.yaml'`), out);
    const checked = testContext(dir);
    assert.equal(await runCli(["check", "--config", "my configs/it's.yaml"], checked), 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("init's next steps name ccp itself when it runs as the compiled binary", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_init_" });
  try {
    const ctx = testContext(dir, { standalone: true });
    assert.equal(await runCli(["init"], ctx), 0);
    const out = ctx.io.stdout.join("\n");
    assert.match(out, / {2}3\. ccp check /);
    assert.match(out, / {2}4\. ccp serve .*or: ccp code /);
    assert.doesNotMatch(out, /deno task/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("init honours CCP_CONFIG like --config", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_init_" });
  try {
    const ctx = testContext(dir, { env: { CCP_CONFIG: `${dir}/env/ccp.yaml` } });
    assert.equal(await runCli(["init"], ctx), 0);
    assert.equal(await Deno.readTextFile(`${dir}/env/ccp.yaml`), CONFIG_YAML_TEMPLATE);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("init without any home directory asks for --config", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_init_" });
  try {
    const base = testContext(dir);
    const ctx = { ...base, env: {}, home: undefined };
    assert.equal(await runCli(["init"], ctx), 1);
    assert.match(base.io.stderr.join("\n"), /pass --config FILE/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("init's .env does not offer CCP_CONFIG, which is read before that file is found", () => {
  // The .env beside the config file is read once the file is chosen, so a CCP_CONFIG in it would
  // be ignored; the template says where it does work instead.
  assert.doesNotMatch(DOTENV_TEMPLATE, /^#\s*CCP_CONFIG=/m);
  assert.match(DOTENV_TEMPLATE, /CCP_CONFIG.*environment or \.\/\.env/);
});

Deno.test("init after the Quick start keeps MODEL's routes and providers, keys by variable", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_init_" });
  try {
    const key = "nvapi-0123456789secretABCD";
    const env = {
      XDG_CONFIG_HOME: `${dir}/xdg`,
      MODEL: "nvidia_nim/moonshotai/kimi-k2.5",
      MODEL_HAIKU: "ollama/qwen3-coder,nvidia_nim/z-ai/glm4.7",
      NVIDIA_NIM_API_KEY: key,
    };
    const ctx = testContext(dir, { env });
    assert.equal(await runCli(["init"], ctx), 0);
    const text = await Deno.readTextFile(`${dir}/xdg/ccp/config.yaml`);
    assert.ok(!text.includes(key), "the key stays in its variable");
    assert.match(
      text,
      /\n {2}nvidia_nim:\n {4}preset: nvidia_nim\n {4}api_key: \$\{NVIDIA_NIM_API_KEY\}\n/,
    );
    assert.match(text, /\n {2}default: nvidia_nim\/moonshotai\/kimi-k2\.5\n/);
    assert.match(text, /\n {2}haiku: \[ollama\/qwen3-coder, nvidia_nim\/z-ai\/glm4\.7\]\n/);
    // A route names Ollama: its entry stays.
    assert.match(text, /\n {2}ollama:\n {4}preset: ollama\n/);
    const out = ctx.io.stdout.join("\n");
    assert.ok(
      out.includes(
        "Its routes are the ones MODEL gives: default → nvidia_nim/moonshotai/kimi-k2.5; " +
          "haiku → ollama/qwen3-coder → nvidia_nim/z-ai/glm4.7",
      ),
      out,
    );
    assert.match(out, /1\. Put provider keys in \S+ \(NVIDIA_NIM_API_KEY=\.\.\.\)/);
    // Given again with a later command, MODEL would be warned about as not read at every start.
    assert.ok(
      out.includes(
        "The file is read instead of MODEL, MODEL_HAIKU from now on: " +
          "leave MODEL, MODEL_HAIKU out of ccp's commands",
      ),
      out,
    );
    // The file loads, and `ccp check` resolves what MODEL did, from the file.
    const checked = testContext(dir, { env });
    assert.equal(await runCli(["check"], checked), 0, checked.io.stderr.join("\n"));
    const report = checked.io.stdout.join("\n");
    assert.match(report, /Source: config file /);
    assert.match(report, /default → nvidia_nim\/moonshotai\/kimi-k2\.5/);
    assert.match(report, /keys: 1 \(…ABCD\)/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("init for a local server: no key asked for, and its address moves by its variable", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_init_" });
  try {
    const env = { XDG_CONFIG_HOME: `${dir}/xdg`, MODEL: "llamacpp/qwen3-coder" };
    const ctx = testContext(dir, { env });
    assert.equal(await runCli(["init"], ctx), 0);
    const text = await Deno.readTextFile(`${dir}/xdg/ccp/config.yaml`);
    assert.match(
      text,
      /\n {2}llamacpp:\n {4}preset: llamacpp\n {4}base_url: \$\{LLAMACPP_BASE_URL:-http:\/\/127\.0\.0\.1:8080\/v1\}\n/,
    );
    // Ollama, which no route names, stays in the file as a comment only.
    assert.match(text, /\n {2}# ollama:\n {2}# {3}preset: ollama\n/);
    assert.doesNotMatch(text, /^ {2}ollama:/m);
    const out = ctx.io.stdout.join("\n");
    assert.match(
      out,
      /1\. No key is needed for llamacpp at http:\/\/127\.0\.0\.1:8080\/v1 \(LLAMACPP_BASE_URL\): set that variable in \S+\.env if yours listens elsewhere/,
    );
    assert.doesNotMatch(out, /NVIDIA_NIM_API_KEY/);
    // A llama-server on another port: the variable in the .env beside the file moves it.
    await Deno.writeTextFile(
      `${dir}/xdg/ccp/.env`,
      "LLAMACPP_BASE_URL=http://127.0.0.1:8081/v1\n",
    );
    const checked = testContext(dir, { env: { XDG_CONFIG_HOME: `${dir}/xdg` } });
    assert.equal(await runCli(["check"], checked), 0, checked.io.stderr.join("\n"));
    assert.match(
      checked.io.stdout.join("\n"),
      /llamacpp {2}\[preset llamacpp\]\n {4}anthropic at http:\/\/127\.0\.0\.1:8081\/v1/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("init for CLIProxyAPI reads its key by variable: it checks keys of its own", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_init_" });
  try {
    const env = { XDG_CONFIG_HOME: `${dir}/xdg`, MODEL: "cliproxyapi/gpt-5" };
    const ctx = testContext(dir, { env });
    assert.equal(await runCli(["init"], ctx), 0);
    const text = await Deno.readTextFile(`${dir}/xdg/ccp/config.yaml`);
    assert.match(
      text,
      /\n {2}cliproxyapi:\n {4}preset: cliproxyapi\n {4}api_key: \$\{CLIPROXYAPI_API_KEY\}\n/,
    );
    assert.match(
      ctx.io.stdout.join("\n"),
      /1\. Put provider keys in \S+ \(CLIPROXYAPI_API_KEY=\.\.\.\)/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("init for Ollama alone says no key is needed and where Ollama is looked for", async (t) => {
  const step = async (env: Record<string, string>) => {
    const dir = await Deno.makeTempDir({ prefix: "ccp_init_" });
    try {
      const ctx = testContext(dir, { env: { XDG_CONFIG_HOME: `${dir}/xdg`, ...env } });
      assert.equal(await runCli(["init"], ctx), 0);
      return /^ {2}1\. (.*)$/m.exec(ctx.io.stdout.join("\n"))?.[1] ?? "";
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  };
  await t.step(
    "the template's route: no key for it, the key example for hosted providers",
    async () => {
      assert.match(
        await step({}),
        /^No key is needed for its route to ollama at http:\/\/127\.0\.0\.1:11434 \(OLLAMA_BASE_URL\): set that variable in \S+\.env if yours listens elsewhere\. For a hosted provider, put its key there \(e\.g\. NVIDIA_NIM_API_KEY=\.\.\.\)$/,
      );
    },
  );
  await t.step(
    "MODEL=ollama/…: as for the other local servers, at the address it gives",
    async () => {
      assert.match(
        await step({ MODEL: "ollama/qwen3-coder", OLLAMA_BASE_URL: "http://127.0.0.1:11500" }),
        /^No key is needed for ollama at http:\/\/127\.0\.0\.1:11500 \(OLLAMA_BASE_URL\): set that variable in \S+\.env if yours listens elsewhere$/,
      );
    },
  );
  await t.step(
    "an address holding a password or a key in its query is shown without them",
    async () => {
      const said = await step({
        MODEL: "ollama/qwen3-coder",
        OLLAMA_BASE_URL: "https://me:hunter2pass@box.example:11434?k=keyvalue123",
      });
      assert.match(said, /^No key is needed for ollama at https:\/\/me:\*\*\*@box\.example:11434 /);
      assert.doesNotMatch(said, /hunter2pass|keyvalue123/);
    },
  );
});
