/** The Dockerfile read as text: what the image gives the user it runs as. */

import assert from "node:assert/strict";
import { canUnshare } from "../helpers/namespace.ts";
import { stopSignals } from "../../src/cli/signals.ts";
import { PERMISSION_FLAGS, RUNTIME_FLAGS } from "../../src/cli/permissions.ts";
import { resolveServer } from "../../src/config/server.ts";
import { compileFlags } from "../../scripts/compile.ts";
import { childEnv, MAIN, NOWHERE_YAML, ROOT, runCcp, startTaskFlags } from "./helpers.ts";

const dockerfile = await Deno.readTextFile(`${ROOT}/Dockerfile`);
const final = dockerfile.slice(dockerfile.lastIndexOf("\nFROM "));

Deno.test("Dockerfile: the non-root user owns the data dir the /data volume starts from", () => {
  // Docker creates a VOLUME's directory that the image lacks as root's, 755, and a new volume
  // copies it: the nonroot user could not create /data/ccp, and ccp ran without its ledger.
  assert.match(final, /^ENV [^]*XDG_DATA_HOME=\/data\b/m);
  assert.match(final, /^VOLUME \[[^\]]*"\/data"/m);
  // The directory's contents are copied with their owner; the directory named is not.
  const copied = /^COPY --from=build --chown=65532:65532 (\S+)\/ \/data\/$/m.exec(final);
  assert.ok(
    copied,
    `the final stage copies, owned by nonroot (65532), a ccp dir into /data:\n${final}`,
  );
  assert.ok(final.indexOf(copied[0]) < final.indexOf("VOLUME"), "before VOLUME");
  assert.ok(dockerfile.includes(`mkdir -p ${copied[1]}/ccp`), "the build stage makes it");
});

/** The final stage's ENV, as `NAME=value` pairs over one or more lines. */
function finalEnv(): Record<string, string> {
  const block = /^ENV ((?:[^\n]*\\\n)*[^\n]*)$/m.exec(final);
  assert.ok(block, final);
  return Object.fromEntries(
    block[1]!.replace(/\\\n/g, " ").trim().split(/\s+/).map((pair) => {
      const at = pair.indexOf("=");
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
}

Deno.test("Dockerfile: built with the Deno the release and CI use", async () => {
  const from = /^FROM denoland\/deno:(\S+) AS build$/m.exec(dockerfile);
  assert.ok(from, "the build stage is denoland/deno:<version>");
  const release = await Deno.readTextFile(`${ROOT}/.github/workflows/release.yml`);
  assert.match(release, new RegExp(`deno-version: ${from[1]!.replace(/\./g, "\\.")}\\n`));
  const ci = await Deno.readTextFile(`${ROOT}/.ci/run`);
  assert.ok(ci.includes(`DENO_VERSION="${from[1]}"`), "the version .ci/run installs");
});

Deno.test("Dockerfile: the binary it copies is the one it runs, checks and serves, as nonroot", () => {
  const copied = /^COPY --from=build \/ccp (\S+)$/m.exec(final);
  assert.ok(copied, final);
  const bin = copied[1]!;
  assert.ok(final.includes(`ENTRYPOINT ["${bin}"]`), final);
  assert.match(final, /^CMD \["serve"\]$/m);
  assert.ok(final.includes(`CMD ["${bin}", "health"]`), "the health check runs ccp health");
  assert.match(final, /^USER nonroot$/m);
  // ccp's Linux builds link glibc: a distroless image with it (cc), not static or alpine.
  assert.match(final, /^FROM gcr\.io\/distroless\/cc-debian\d+:nonroot$/m);
  // The build stage copies the binary it compiled for its own target.
  assert.match(
    dockerfile,
    /cp "dist\/ccp-\$\(deno eval 'console\.log\(Deno\.build\.target\)'\)" \/ccp/,
  );
});

Deno.test("Dockerfile: listens on every interface at the port it exposes, config and data on volumes", () => {
  const env = finalEnv();
  assert.equal(env.CCP_HOST, "0.0.0.0", "reachable through docker run -p");
  assert.match(final, new RegExp(`^EXPOSE ${env.CCP_PORT}$`, "m"));
  assert.equal(env.CCP_CONFIG, "/config/config.yaml");
  assert.equal(env.XDG_DATA_HOME, "/data");
  assert.match(final, /^VOLUME \["\/config", "\/data"\]$/m);
});

Deno.test("Dockerfile: README's docker run matches the image (port, config volume, user, token)", async () => {
  const readme = await Deno.readTextFile(`${ROOT}/README.md`);
  const docker = /^- \*\*Docker\*\*: ([^]*?)\n- \*\*/m.exec(readme)?.[1]?.replace(/\s+/g, " ");
  assert.ok(docker, "README's Install has a Docker item");
  const env = finalEnv();
  assert.ok(docker.includes(`-p ${env.CCP_PORT}:${env.CCP_PORT}`), docker);
  assert.ok(docker.includes(":/config "), docker);
  assert.ok(docker.includes(env.CCP_CONFIG!), docker);
  assert.ok(docker.includes("-e CCP_AUTH_TOKEN="), "0.0.0.0 needs a token");
  assert.ok(docker.includes("uid 65532"), docker);
  assert.ok(docker.includes("/data/ccp"), docker);
  assert.ok(docker.includes("0.0.0.0"), "says it listens on every interface");
  assert.ok(docker.includes("CCP_PORT"), "says how to move the port so the health check follows");
});

Deno.test("Dockerfile: the files its build stage copies are enough for deno install --frozen", async () => {
  const build = dockerfile.slice(0, dockerfile.lastIndexOf("\nFROM "));
  const copies = [...build.matchAll(/^COPY (?!--)(.+) \S+$/gm)].flatMap((m) => m[1]!.split(/\s+/));
  assert.deepEqual(copies, ["deno.json", "deno.lock", "src", "scripts"]);
  const dir = await Deno.makeTempDir({ prefix: "ccp_docker_" });
  try {
    for (const name of copies) {
      const out = await new Deno.Command("cp", { args: ["-R", `${ROOT}/${name}`, dir] }).output();
      assert.ok(out.success, name);
    }
    // As the image's RUN line does, with the compile script too: a lock that misses a package
    // src/ or scripts/ import fails here, not in a release's image build.
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["install", "--frozen", "--entrypoint", "src/main.ts", "scripts/compile.ts"],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(60_000),
    }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Dockerfile: with the image's environment ccp will not listen without a token", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_docker_" });
  try {
    await Deno.mkdir(`${dir}/config`);
    await Deno.writeTextFile(
      `${dir}/config/config.yaml`,
      // Its Ollama is not there: ccp check asks none that listens on Ollama's own port here.
      "providers: {ollama: {preset: ollama, base_url: 'http://127.0.0.1:9'}}\n" +
        "routes: {default: ollama/qwen3-coder}\n",
    );
    // The image's ENV, its /config and /data volumes moved into this test's directory.
    const image = finalEnv();
    const env = childEnv(dir, {
      ...image,
      CCP_CONFIG: image.CCP_CONFIG!.replace(/^\/config\//, `${dir}/config/`),
      XDG_DATA_HOME: `${dir}/data`,
    });
    const open = await runCcp(["check"], { cwd: dir, env });
    assert.equal(open.code, 1, open.stdout);
    assert.match(open.stderr, /Refusing to listen on 0\.0\.0\.0 without an auth token/);
    const closed = await runCcp(["check"], { cwd: dir, env: { ...env, CCP_AUTH_TOKEN: "s3cret" } });
    assert.equal(closed.code, 0, closed.stderr);
    assert.match(closed.stdout, /Server: http:\/\/0\.0\.0\.0:8082; auth token set/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const LOOPBACK_ONLY = await canUnshare(["-n", "ip", "link", "set", "lo", "up"]);

Deno.test({
  name: LOOPBACK_ONLY
    ? "Dockerfile: with the image's environment its HEALTHCHECK finds the server it starts, and a stop ends it"
    : "Dockerfile: the HEALTHCHECK against the image's server: skipped, cannot unshare a network namespace here (needs root)",
  ignore: !LOOPBACK_ONLY,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "ccp_docker_" });
    try {
      await Deno.mkdir(`${dir}/config`);
      await Deno.writeTextFile(`${dir}/config/config.yaml`, NOWHERE_YAML);
      const image = finalEnv();
      // The image's command and health check, run as its ENTRYPOINT runs them.
      const run = /^CMD \["(\w+)"\]$/m.exec(final)?.[1];
      const check = /^ {2}CMD \["\S+", "(\w+)"\]$/m.exec(final)?.[1];
      assert.ok(run && check, final);
      // A network namespace with only loopback: the image's 0.0.0.0 reaches no other machine.
      const script = `ip link set lo up || exit 9
"$@" ${run} & server=$!
for i in $(seq 150); do "$@" ${check} >/dev/null 2>&1 && break; sleep 0.1; done
"$@" ${check}; echo "health=$?"
kill -TERM "$server"; wait "$server"; echo "stopped=$?"
"$@" ${check}; echo "after=$?"`;
      const env = childEnv(dir, {
        ...image,
        CCP_CONFIG: image.CCP_CONFIG!.replace(/^\/config\//, `${dir}/config/`),
        XDG_DATA_HOME: `${dir}/data`,
        CCP_AUTH_TOKEN: "s3cret-token",
      });
      const out = await new Deno.Command("unshare", {
        args: [
          "-n",
          "sh",
          "-c",
          script,
          "sh",
          Deno.execPath(),
          "run",
          ...await startTaskFlags(),
          "--config",
          `${ROOT}/deno.json`,
          MAIN,
        ],
        cwd: dir,
        env,
        clearEnv: true,
        stdout: "piped",
        stderr: "piped",
        signal: AbortSignal.timeout(60_000),
      }).output();
      const stdout = new TextDecoder().decode(out.stdout);
      const stderr = new TextDecoder().decode(out.stderr);
      assert.match(stderr, new RegExp(`listening on http://0\\.0\\.0\\.0:${image.CCP_PORT} `));
      // Asked at loopback, with no token: /health is open to the health check.
      assert.match(
        stdout,
        new RegExp(`^http://127\\.0\\.0\\.1:${image.CCP_PORT}/health: .*\\nhealth=0$`, "m"),
      );
      assert.match(stdout, /^stopped=0$/m, stderr);
      assert.match(stdout, /^after=1$/m);
      assert.match(stderr, /Cannot reach ccp at http:\/\/127\.0\.0\.1:\d+\/health: /);
      // What it keeps went to the data volume's ccp dir, the one the image gives nonroot.
      const kept = [...Deno.readDirSync(`${dir}/data/ccp`)].map((entry) => entry.name);
      assert.ok(kept.length > 0, "the data dir holds ccp's stores");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("Dockerfile: docker stop's signal is one ccp stops on", () => {
  // Without STOPSIGNAL, docker sends SIGTERM.
  const signal = /^STOPSIGNAL (\S+)$/m.exec(final)?.[1] ?? "SIGTERM";
  assert.ok(stopSignals("linux").includes(signal as Deno.Signal), signal);
});

Deno.test("Dockerfile: its binary is compiled with the permissions and runtime flags ccp runs with", async () => {
  const build = dockerfile.slice(0, dockerfile.lastIndexOf("\nFROM "));
  // `deno task compile` takes them from deno.json's start task, as `ccp service` does.
  assert.match(build, /&& deno task compile --target /);
  assert.doesNotMatch(build, /deno compile|--allow-|--v8-flags/);
  const flags = compileFlags(JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`)));
  for (const flag of [...PERMISSION_FLAGS, ...RUNTIME_FLAGS]) assert.ok(flags.includes(flag), flag);
});

Deno.test("Dockerfile: the address, config and data dir ccp makes of the image's environment", () => {
  const env = finalEnv();
  const server = resolveServer({ flags: {}, env, envOnly: false });
  assert.equal(server.host, "0.0.0.0");
  assert.match(final, new RegExp(`^EXPOSE ${server.port}$`, "m"));
  assert.match(final, new RegExp(`^HEALTHCHECK [^]*CMD \\["\\S+", "health"\\]`, "m"));
  // The usage ledger's dir: on the /data volume, and the one the build stage gives nonroot.
  assert.equal(server.dataDir, "/data/ccp");
  assert.ok(dockerfile.includes("mkdir -p /empty/ccp"), "the dir the volume starts with");
  assert.equal(env.CCP_CONFIG, "/config/config.yaml");
});
