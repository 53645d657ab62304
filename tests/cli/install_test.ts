/** install.sh against a fake release served on 127.0.0.1, as on an air-gapped mirror. */

import assert from "node:assert/strict";
import { ROOT } from "./helpers.ts";

const SHELL = await shellToUse();

async function shellToUse(): Promise<string> {
  for (const sh of ["dash", "sh"]) {
    try {
      const out = await new Deno.Command(sh, { args: ["-c", "true"] }).output();
      if (out.success) return sh;
    } catch {
      // Not installed: try the next.
    }
  }
  return "sh";
}

function hostTarget(): string {
  const cpu = Deno.build.arch === "aarch64" ? "aarch64" : "x86_64";
  return Deno.build.os === "darwin" ? `${cpu}-apple-darwin` : `${cpu}-unknown-linux-gnu`;
}

async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * How the archive's members are named: as release.yml packs them (`ccp`, `README.md`,
 * `LICENSE`), or as `tar -C stage .` would (`./ccp`, …), which an earlier release step did.
 */
type Members = "release" | "dot";

/** A release directory: v<version>/<archive>, v<version>/SHA256SUMS and `latest`. */
async function fakeRelease(
  dir: string,
  version: string,
  corrupt: boolean,
  members: Members = "release",
): Promise<void> {
  const stage = await Deno.makeTempDir();
  await Deno.writeTextFile(`${stage}/ccp`, `#!/bin/sh\necho ${version}\n`);
  await Deno.chmod(`${stage}/ccp`, 0o755);
  await Deno.writeTextFile(`${stage}/README.md`, "# ccp\n");
  await Deno.writeTextFile(`${stage}/LICENSE`, "license\n");
  await Deno.mkdir(`${dir}/v${version}`, { recursive: true });
  const archive = `ccp-${version}-${hostTarget()}.tar.gz`;
  const names = members === "release" ? ["ccp", "README.md", "LICENSE"] : ["."];
  const tar = await new Deno.Command("tar", {
    args: ["-czf", `${dir}/v${version}/${archive}`, "-C", stage, ...names],
  }).output();
  assert.ok(tar.success);
  const bytes = await Deno.readFile(`${dir}/v${version}/${archive}`);
  const sum = await sha256(bytes);
  await Deno.writeTextFile(`${dir}/v${version}/SHA256SUMS`, `${sum}  ${archive}\n`);
  if (corrupt) {
    bytes[bytes.length - 10] = bytes[bytes.length - 10]! ^ 0xff;
    await Deno.writeFile(`${dir}/v${version}/${archive}`, bytes);
  }
  await Deno.writeTextFile(`${dir}/latest`, `${version}\n`);
  await Deno.remove(stage, { recursive: true });
}

async function withMirror(
  corrupt: boolean,
  run: (base: string, dir: string) => Promise<void>,
  members: Members = "release",
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ccp_install_" });
  await fakeRelease(`${dir}/www`, "9.8.7", corrupt, members);
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const path = decodeURIComponent(new URL(req.url).pathname);
    try {
      return new Response(await Deno.readFile(`${dir}/www${path}`));
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  try {
    await run(`http://127.0.0.1:${server.addr.port}`, dir);
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
}

async function install(base: string, dir: string, env: Record<string, string> = {}) {
  const out = await new Deno.Command(SHELL, {
    args: [`${ROOT}/install.sh`],
    env: {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: dir,
      CCP_INSTALL_BASE_URL: base,
      CCP_INSTALL_DIR: `${dir}/bin`,
      ...env,
    },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(30_000),
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  return { code: out.code, text };
}

Deno.test({
  name: "install.sh installs the archive for this machine after checking it",
  ignore: Deno.build.os === "windows",
  fn: async (t) => {
    await t.step("a pinned version from a mirror", async () => {
      await withMirror(false, async (base, dir) => {
        const { code, text } = await install(base, dir, { CCP_VERSION: "9.8.7" });
        assert.equal(code, 0, text);
        assert.match(text, /Installed .*\/bin\/ccp \(9\.8\.7\)/);
        assert.match(text, /Add it to your PATH/);
        const run = await new Deno.Command(`${dir}/bin/ccp`).output();
        assert.equal(new TextDecoder().decode(run.stdout).trim(), "9.8.7");
      });
    });
    await t.step(
      "release.yml's own packing step makes an archive install.sh installs",
      async () => {
        // The archive step of the release workflow, run here as the workflow runs it.
        const workflow = await Deno.readTextFile(`${ROOT}/.github/workflows/release.yml`);
        const step = /tar -czf "\$\{name\}\.tar\.gz" -C stage ([^\n]+)/.exec(workflow);
        assert.ok(step, "release.yml packs the tar.gz with tar -czf … -C stage <members>");
        assert.deepEqual(step[1]!.trim().split(/\s+/), ["ccp", "README.md", "LICENSE"]);
      },
    );
    await t.step("an archive whose members are named ./ccp installs too", async () => {
      await withMirror(false, async (base, dir) => {
        const { code, text } = await install(base, dir, { CCP_VERSION: "9.8.7" });
        assert.equal(code, 0, text);
        const run = await new Deno.Command(`${dir}/bin/ccp`).output();
        assert.equal(new TextDecoder().decode(run.stdout).trim(), "9.8.7");
      }, "dot");
    });
    await t.step("the latest version when none is pinned", async () => {
      await withMirror(false, async (base, dir) => {
        const { code, text } = await install(base, dir);
        assert.equal(code, 0, text);
        assert.match(text, /Downloading ccp 9\.8\.7/);
      });
    });
    await t.step(
      "a corrupted archive: nothing installed, non-zero exit, says checksum",
      async () => {
        await withMirror(true, async (base, dir) => {
          const { code, text } = await install(base, dir, { CCP_VERSION: "9.8.7" });
          assert.notEqual(code, 0);
          assert.match(text, /checksum mismatch/);
          await assert.rejects(() => Deno.stat(`${dir}/bin/ccp`));
        });
      },
    );
    await t.step("a version the mirror does not have: a clear error", async () => {
      await withMirror(false, async (base, dir) => {
        const { code, text } = await install(base, dir, { CCP_VERSION: "1.0.0" });
        assert.notEqual(code, 0);
        assert.match(text, /cannot download .*v1\.0\.0/);
      });
    });
  },
});
