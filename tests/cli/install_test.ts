/** install.sh against a fake release served on 127.0.0.1, as on an air-gapped mirror. */

import assert from "node:assert/strict";
import { runs } from "../helpers/programs.ts";
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

/** release.yml's Archive step, read from the workflow itself. */
async function archiveStep(): Promise<{ tar: string; zipMembers: string[] }> {
  const workflow = await Deno.readTextFile(`${ROOT}/.github/workflows/release.yml`);
  const tar = /^\s*(tar -czf "\$\{name\}\.tar\.gz" -C stage [^\n]+)$/m.exec(workflow);
  assert.ok(tar, 'release.yml packs the tar.gz with tar -czf "${name}.tar.gz" -C stage …');
  const zip = /\(cd stage && 7z a "\.\.\/\$\{name\}\.zip" ([^)]+)\)/.exec(workflow);
  assert.ok(zip, 'release.yml packs the zip with (cd stage && 7z a "../${name}.zip" …)');
  return { tar: tar[1]!.trim(), zipMembers: zip[1]!.trim().split(/\s+/) };
}

/**
 * How the archive is packed: by release.yml's own tar command, or by `tar -C stage .`, as an
 * earlier release step did, which names the members `./ccp`, ….
 */
type Members = "release" | "dot";
const DOT_TAR = 'tar -czf "${name}.tar.gz" -C stage .';

interface ReleaseOptions {
  corrupt?: boolean;
  members?: Members;
  /** The mirror's `latest` file (which no release publishes), or null for none. */
  latest?: string | null;
  /** A binary this machine cannot run (built for another libc or CPU): its loader is missing. */
  unrunnable?: boolean;
  /** Milliseconds the server waits before it sends the archive. */
  archiveDelay?: number;
  /** The archive's target, when not this machine's. */
  target?: string;
  /** Directories answer with a listing of their entries, as `python3 -m http.server` does. */
  listing?: boolean;
}

/** A release directory: v<version>/<archive>, v<version>/SHA256SUMS and, as a mirror may, `latest`. */
async function fakeRelease(dir: string, version: string, opts: ReleaseOptions): Promise<void> {
  const work = await Deno.makeTempDir();
  const stage = `${work}/stage`;
  await Deno.mkdir(stage);
  const interpreter = opts.unrunnable ? "/lib/ld-musl-nowhere.so.1" : "/bin/sh";
  await Deno.writeTextFile(`${stage}/ccp`, `#!${interpreter}\necho ${version}\n`);
  await Deno.chmod(`${stage}/ccp`, 0o755);
  await Deno.writeTextFile(`${stage}/README.md`, "# ccp\n");
  await Deno.writeTextFile(`${stage}/LICENSE`, "license\n");
  await Deno.mkdir(`${dir}/v${version}`, { recursive: true });
  const name = `ccp-${version}-${opts.target ?? hostTarget()}`;
  const archive = `${name}.tar.gz`;
  // Packed as the workflow packs it: its command line, run by a shell in the directory above stage.
  const command = (opts.members ?? "release") === "release" ? (await archiveStep()).tar : DOT_TAR;
  const tar = await new Deno.Command("sh", {
    args: ["-c", command],
    cwd: work,
    env: { name },
    stderr: "piped",
  }).output();
  assert.ok(tar.success, new TextDecoder().decode(tar.stderr));
  await Deno.copyFile(`${work}/${archive}`, `${dir}/v${version}/${archive}`);
  const bytes = await Deno.readFile(`${dir}/v${version}/${archive}`);
  const sum = await sha256(bytes);
  await Deno.writeTextFile(`${dir}/v${version}/SHA256SUMS`, `${sum}  ${archive}\n`);
  if (opts.corrupt) {
    bytes[bytes.length - 10] = bytes[bytes.length - 10]! ^ 0xff;
    await Deno.writeFile(`${dir}/v${version}/${archive}`, bytes);
  }
  const latest = opts.latest === undefined ? `${version}\n` : opts.latest;
  if (latest !== null) await Deno.writeTextFile(`${dir}/latest`, latest);
  await Deno.remove(work, { recursive: true });
}

/** The member names of a .tar.gz, as tar lists them. */
async function tarMembers(path: string): Promise<string[]> {
  const out = await new Deno.Command("tar", { args: ["-tzf", path] }).output();
  assert.ok(out.success);
  return new TextDecoder().decode(out.stdout).split("\n").filter((line) => line !== "").sort();
}

async function withMirror(
  run: (base: string, dir: string) => Promise<void>,
  opts: ReleaseOptions = {},
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ccp_install_" });
  await fakeRelease(`${dir}/www`, "9.8.7", opts);
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const url = new URL(req.url);
    let path = decodeURIComponent(url.pathname);
    // A releases page as GitHub's: /latest redirects to the newest tag's page (HEAD too), and
    // the archives are under /download.
    if (path === "/releases/latest") {
      return new Response(null, {
        status: 302,
        headers: { location: `${url.origin}/releases/tag/v9.8.7` },
      });
    }
    if (path.startsWith("/releases/tag/")) return new Response("<html>release</html>");
    if (path.startsWith("/releases/download/")) path = path.slice("/releases/download".length);
    if (opts.archiveDelay && path.endsWith(".tar.gz")) {
      await new Promise((done) => setTimeout(done, opts.archiveDelay));
    }
    try {
      if (opts.listing && path.endsWith("/")) return await listing(`${dir}/www${path}`);
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

/** A directory's listing as Python's http.server writes it: one link per entry, folders with a `/`. */
async function listing(path: string): Promise<Response> {
  const items: string[] = [];
  for await (const entry of Deno.readDir(path)) {
    const name = entry.isDirectory ? `${entry.name}/` : entry.name;
    items.push(`<li><a href="${encodeURI(name)}">${name}</a></li>`);
  }
  return new Response(`<html><body><ul>\n${items.join("\n")}\n</ul></body></html>\n`, {
    headers: { "content-type": "text/html; charset=utf-8" },
  });
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
    await t.step("a pinned version from a mirror (packed by release.yml's command)", async () => {
      await withMirror(async (base, dir) => {
        const { code, text } = await install(base, dir, { CCP_VERSION: "9.8.7" });
        assert.equal(code, 0, text);
        assert.match(text, /Installed .*\/bin\/ccp \(9\.8\.7\)/);
        assert.match(text, /Add it to your PATH/);
        const run = await new Deno.Command(`${dir}/bin/ccp`).output();
        assert.equal(new TextDecoder().decode(run.stdout).trim(), "9.8.7");
      });
    });
    await t.step("release.yml's archives hold ccp (ccp.exe) at their top level", async () => {
      await withMirror(async (_base, dir) => {
        const archive = `${dir}/www/v9.8.7/ccp-9.8.7-${hostTarget()}.tar.gz`;
        assert.deepEqual(await tarMembers(archive), ["LICENSE", "README.md", "ccp"]);
      });
      // 7z, run in stage, names its members as given: they must be the files, not `.`.
      const { zipMembers } = await archiveStep();
      assert.deepEqual(zipMembers, ["ccp.exe", "README.md", "LICENSE"]);
    });
    await t.step("an archive whose members are named ./ccp installs too", async () => {
      await withMirror(async (base, dir) => {
        assert.ok((await tarMembers(`${dir}/www/v9.8.7/ccp-9.8.7-${hostTarget()}.tar.gz`))
          .includes("./ccp"));
        const { code, text } = await install(base, dir, { CCP_VERSION: "9.8.7" });
        assert.equal(code, 0, text);
        const run = await new Deno.Command(`${dir}/bin/ccp`).output();
        assert.equal(new TextDecoder().decode(run.stdout).trim(), "9.8.7");
      }, { members: "dot" });
    });
    await t.step("the mirror's `latest` when no version is pinned", async () => {
      await withMirror(async (base, dir) => {
        const { code, text } = await install(base, dir);
        assert.equal(code, 0, text);
        assert.match(text, /Downloading ccp 9\.8\.7/);
      }, { latest: "v9.8.7\r\n" });
    });
    await t.step(
      "a mirror without `latest` and no version pinned: says to set CCP_VERSION",
      async () => {
        await withMirror(async (base, dir) => {
          const { code, text } = await install(base, dir);
          assert.notEqual(code, 0);
          assert.match(text, /cannot read http:\/\/127\.0\.0\.1:\d+\/latest .*set CCP_VERSION/);
          await assert.rejects(() => Deno.stat(`${dir}/bin/ccp`));
        }, { latest: null });
      },
    );
    await t.step(
      "a directory served with its listing and no `latest`: the newest release it lists",
      async () => {
        await withMirror(async (base, dir) => {
          // 9.10.0 is newer than 9.8.7 (not by text order); a pre-release is not a release.
          await fakeRelease(`${dir}/www`, "9.10.0", { latest: null });
          await fakeRelease(`${dir}/www`, "10.0.0-rc.1", { latest: null });
          const { code, text } = await install(base, dir);
          assert.equal(code, 0, text);
          assert.match(text, /Downloading ccp 9\.10\.0/);
          const run = await new Deno.Command(`${dir}/bin/ccp`).output();
          assert.equal(new TextDecoder().decode(run.stdout).trim(), "9.10.0");
        }, { latest: null, listing: true });
      },
    );
    await t.step("a `latest` that holds no version (a server's page): a clear error", async () => {
      await withMirror(async (base, dir) => {
        const { code, text } = await install(base, dir);
        assert.notEqual(code, 0);
        assert.match(text, /\/latest does not hold a version like 0\.1\.0; set CCP_VERSION/);
        assert.doesNotMatch(text, /Downloading/);
      }, { latest: "<html><body>Welcome</body></html>\n" });
    });
    await t.step("a CCP_VERSION that is not a version: a clear error", async () => {
      await withMirror(async (base, dir) => {
        const { code, text } = await install(base, dir, { CCP_VERSION: "../9.8.7" });
        assert.notEqual(code, 0);
        assert.match(text, /CCP_VERSION=\.\.\/9\.8\.7 is not a version/);
      });
    });
    await t.step(
      "a corrupted archive: nothing installed, non-zero exit, says checksum",
      async () => {
        await withMirror(async (base, dir) => {
          const { code, text } = await install(base, dir, { CCP_VERSION: "9.8.7" });
          assert.notEqual(code, 0);
          assert.match(text, /checksum mismatch/);
          await assert.rejects(() => Deno.stat(`${dir}/bin/ccp`));
        }, { corrupt: true });
      },
    );
    await t.step("a version the mirror does not have: a clear error", async () => {
      await withMirror(async (base, dir) => {
        const { code, text } = await install(base, dir, { CCP_VERSION: "1.0.0" });
        assert.notEqual(code, 0);
        assert.match(text, /cannot download .*v1\.0\.0/);
      });
    });
    await t.step(
      "a binary that cannot run here: the installed ccp is kept, a clear error",
      async () => {
        await withMirror(async (base, dir) => {
          await Deno.mkdir(`${dir}/bin`);
          await Deno.writeTextFile(`${dir}/bin/ccp`, "#!/bin/sh\necho 1.0.0\n", { mode: 0o755 });
          const { code, text } = await install(base, dir, { CCP_VERSION: "9.8.7" });
          assert.notEqual(code, 0, text);
          assert.match(text, /the downloaded ccp 9\.8\.7 does not run on this machine/);
          assert.doesNotMatch(text, /Installed/);
          assert.equal(await Deno.readTextFile(`${dir}/bin/ccp`), "#!/bin/sh\necho 1.0.0\n");
          await assert.rejects(() => Deno.stat(`${dir}/bin/ccp.new`));
        }, { unrunnable: true });
      },
    );
    await t.step("an upgrade under an installed service says how to restart it", async () => {
      await withMirror(async (base, dir) => {
        await Deno.mkdir(`${dir}/.config/systemd/user`, { recursive: true });
        await Deno.writeTextFile(
          `${dir}/.config/systemd/user/ccp.service`,
          `[Service]\nExecStart=${dir}/bin/ccp serve\n`,
        );
        const { code, text } = await install(base, dir, { CCP_VERSION: "9.8.7" });
        assert.equal(code, 0, text);
        assert.match(text, /runs the old version until it restarts: systemctl --user restart ccp/);
      });
      await withMirror(async (base, dir) => {
        await Deno.mkdir(`${dir}/Library/LaunchAgents`, { recursive: true });
        await Deno.writeTextFile(
          `${dir}/Library/LaunchAgents/dev.ccp.plist`,
          `<array>\n    <string>${dir}/bin/ccp</string>\n`,
        );
        const { code, text } = await install(base, dir, { CCP_VERSION: "9.8.7" });
        assert.equal(code, 0, text);
        assert.match(text, /until it restarts: launchctl kickstart -k gui\/\d+\/dev\.ccp/);
      });
      // A service that runs another ccp (installed from source, or elsewhere) is not this one's.
      await withMirror(async (base, dir) => {
        await Deno.mkdir(`${dir}/.config/systemd/user`, { recursive: true });
        await Deno.writeTextFile(
          `${dir}/.config/systemd/user/ccp.service`,
          "[Service]\nExecStart=/usr/bin/deno run src/main.ts serve\n",
        );
        const { text } = await install(base, dir, { CCP_VERSION: "9.8.7" });
        assert.doesNotMatch(text, /restart/);
      });
    });
    await t.step("another ccp earlier in PATH: says which one `ccp` runs", async () => {
      await withMirror(async (base, dir) => {
        await Deno.mkdir(`${dir}/old`);
        await Deno.writeTextFile(`${dir}/old/ccp`, "#!/bin/sh\necho 0.0.1\n", { mode: 0o755 });
        const path = `${dir}/old:${dir}/bin:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}`;
        const { code, text } = await install(base, dir, { CCP_VERSION: "9.8.7", PATH: path });
        assert.equal(code, 0, text);
        assert.ok(text.includes(`${dir}/old/ccp comes before ${dir}/bin in your PATH`), text);
        assert.doesNotMatch(text, /Add it to your PATH/);
      });
    });
    await t.step("PATH advice that lasts: the login shell's own file and syntax", async () => {
      for (
        const [shell, advice] of [
          ["/bin/zsh", /Add it to your PATH .*~\/\.zshrc.*: export PATH="[^"]*\/bin:\$PATH"/],
          ["/bin/bash", /~\/\.bashrc/],
          ["/bin/sh", /~\/\.profile/],
          ["/usr/bin/fish", /Add it to your PATH: fish_add_path .*\/bin\n/],
        ] as const
      ) {
        await withMirror(async (base, dir) => {
          const { code, text } = await install(base, dir, { CCP_VERSION: "9.8.7", SHELL: shell });
          assert.equal(code, 0, text);
          assert.match(text, advice, shell);
        });
      }
    });
    await t.step("no sha256sum nor shasum: says so, installs nothing", async () => {
      await withMirror(async (base, dir) => {
        const path = await pathWithout(dir, ["sha256sum", "shasum"]);
        const { code, text } = await install(base, dir, { CCP_VERSION: "9.8.7", PATH: path });
        assert.notEqual(code, 0, text);
        assert.match(text, /neither sha256sum nor shasum is installed/);
        assert.doesNotMatch(text, /mismatch/);
        await assert.rejects(() => Deno.stat(`${dir}/bin/ccp`));
      });
    });
    for (const tool of ["curl", "wget"]) {
      await t.step(
        `the releases page's latest, found by its redirect with ${tool} alone`,
        async () => {
          await withMirror(async (base, dir) => {
            const path = await pathWithout(dir, [tool === "curl" ? "wget" : "curl"]);
            const { code, text } = await install("", dir, {
              PATH: path,
              CCP_INSTALL_BASE_URL: "",
              CCP_RELEASES_URL: `${base}/releases/`,
            });
            assert.equal(code, 0, text);
            assert.match(text, /Downloading ccp 9\.8\.7/);
            assert.match(text, /Installed .*\/bin\/ccp \(9\.8\.7\)/);
          }, { latest: null });
        },
      );
    }
    for (const tool of ["curl", "wget"]) {
      await t.step(
        `from the releases page with ${tool} alone: install, upgrade, a wrong checksum, no line`,
        async () => {
          await withMirror(async (base, dir) => {
            const path = await pathWithout(dir, [tool === "curl" ? "wget" : "curl"]);
            const env = {
              PATH: path,
              CCP_INSTALL_BASE_URL: "",
              CCP_RELEASES_URL: `${base}/releases`,
            };
            const run = async () => {
              const { code, text } = await install("", dir, env);
              const ccp = await Deno.readTextFile(`${dir}/bin/ccp`).catch(() => "");
              return { code, text, ccp };
            };
            // Over an existing ccp: replaced, and `ccp` then runs the new one.
            await Deno.mkdir(`${dir}/bin`);
            await Deno.writeTextFile(`${dir}/bin/ccp`, "#!/bin/sh\necho 1.0.0\n", { mode: 0o755 });
            const upgrade = await run();
            assert.equal(upgrade.code, 0, upgrade.text);
            assert.match(upgrade.text, /Installed .*\/bin\/ccp \(9\.8\.7\)/);
            assert.match(upgrade.ccp, /echo 9\.8\.7/);
            await assert.rejects(() => Deno.stat(`${dir}/bin/ccp.new`));

            // A checksum that does not match: the installed ccp stays as it was.
            const archive = `ccp-9.8.7-${hostTarget()}.tar.gz`;
            const sums = `${dir}/www/v9.8.7/SHA256SUMS`;
            const good = await Deno.readTextFile(sums);
            await Deno.writeTextFile(`${dir}/bin/ccp`, "#!/bin/sh\necho 1.0.0\n", { mode: 0o755 });
            await Deno.writeTextFile(sums, `${"0".repeat(64)}  ${archive}\n`);
            const wrong = await run();
            assert.notEqual(wrong.code, 0, wrong.text);
            assert.ok(
              wrong.text.includes(
                `ccp install: checksum mismatch for ${archive} (expected ${"0".repeat(64)}, got ${
                  good.split(" ")[0]
                }): nothing installed`,
              ),
              wrong.text,
            );
            assert.doesNotMatch(wrong.text, /Installed/);
            assert.match(wrong.ccp, /echo 1\.0\.0/);

            // A SHA256SUMS that lists other archives only, and none at all.
            await Deno.writeTextFile(sums, good.replace(archive, "ccp-9.8.7-other.tar.gz"));
            const none = await run();
            assert.notEqual(none.code, 0, none.text);
            assert.match(
              none.text,
              new RegExp(`SHA256SUMS has no line for ${archive.replace(/\./g, "\\.")}`),
            );
            assert.match(none.ccp, /echo 1\.0\.0/);
            await Deno.remove(sums);
            const missing = await run();
            assert.notEqual(missing.code, 0, missing.text);
            assert.match(
              missing.text,
              /cannot download http:\/\/\S+\/releases\/download\/v9\.8\.7\/SHA256SUMS/,
            );
            assert.match(missing.ccp, /echo 1\.0\.0/);
          }, { latest: null });
        },
      );
    }
    for (
      const [system, cpu, said] of [
        [
          "FreeBSD",
          "amd64",
          /no ccp binary for FreeBSD; run it from source instead \(see README\)/,
        ],
        ["Linux", "riscv64", /no ccp binary for the riscv64 CPU; run it from source instead/],
        ["Linux", "armv7l", /no ccp binary for the armv7l CPU; run it from source instead/],
      ] as const
    ) {
      await t.step(`${system} on ${cpu}: no build for it, said before any download`, async () => {
        await withMirror(async (base, dir) => {
          const path = await pathWithout(dir, ["uname"]);
          await Deno.writeTextFile(
            `${path}/uname`,
            `#!/bin/sh\ncase "$1" in -s) echo ${system} ;; *) echo ${cpu} ;; esac\n`,
            { mode: 0o755 },
          );
          const { code, text } = await install(base, dir, { CCP_VERSION: "9.8.7", PATH: path });
          assert.notEqual(code, 0, text);
          assert.match(text, said);
          assert.doesNotMatch(text, /Downloading/);
          await assert.rejects(() => Deno.stat(`${dir}/bin`));
        });
      });
    }
    await t.step(
      "a releases page whose latest does not redirect: says to set CCP_VERSION",
      async () => {
        await withMirror(async (base, dir) => {
          const path = await pathWithout(dir, ["curl"]);
          const { code, text } = await install("", dir, {
            PATH: path,
            CCP_INSTALL_BASE_URL: "",
            CCP_RELEASES_URL: `${base}/releases/tag/v9.8.7`,
          });
          assert.notEqual(code, 0, text);
          assert.match(text, /cannot find the latest release \(\); set CCP_VERSION/);
          assert.doesNotMatch(text, /Downloading/);
        });
      },
    );
    await t.step("an install dir that cannot be made: said before the download", async () => {
      await withMirror(async (base, dir) => {
        await Deno.writeTextFile(`${dir}/file`, "");
        const { code, text } = await install(base, dir, {
          CCP_VERSION: "9.8.7",
          CCP_INSTALL_DIR: `${dir}/file/bin`,
        });
        assert.notEqual(code, 0, text);
        assert.ok(
          text.includes(
            `ccp install: cannot create ${dir}/file/bin: set CCP_INSTALL_DIR to a directory you may write`,
          ),
          text,
        );
        assert.doesNotMatch(text, /Downloading|mkdir:/);
      });
    });
    await t.step({
      name:
        "an install dir this user may not write (a system one without sudo): said before the download",
      // As root every directory is writable: the script is run as nobody instead.
      ignore: Deno.uid() === 0 && !(await runs("setpriv", ["--version"])),
      fn: async () => {
        await withMirror(async (base, dir) => {
          await Deno.chmod(dir, 0o755);
          await Deno.mkdir(`${dir}/ro`, { mode: 0o555 });
          await Deno.chmod(`${dir}/ro`, 0o555);
          const asNobody = Deno.uid() === 0
            ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", SHELL]
            : [SHELL];
          const out = await new Deno.Command(asNobody[0]!, {
            args: [...asNobody.slice(1), `${ROOT}/install.sh`],
            env: {
              PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
              HOME: dir,
              CCP_INSTALL_BASE_URL: base,
              CCP_VERSION: "9.8.7",
              CCP_INSTALL_DIR: `${dir}/ro`,
            },
            clearEnv: true,
            stdout: "piped",
            stderr: "piped",
          }).output();
          const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
          assert.notEqual(out.code, 0, text);
          assert.match(
            text,
            /ccp install: cannot write to .*\/ro \(as [^)]+\): run as a user who may/,
          );
          assert.doesNotMatch(text, /Downloading|mv:/);
        });
      },
    });
    await t.step("neither curl nor wget: says so before anything else", async () => {
      await withMirror(async (base, dir) => {
        const path = await pathWithout(dir, ["curl", "wget"]);
        const { code, text } = await install(base, dir, { PATH: path, CCP_VERSION: "9.8.7" });
        assert.notEqual(code, 0, text);
        assert.match(text, /neither curl nor wget is installed/);
        assert.doesNotMatch(text, /Downloading/);
      });
    });
    await t.step("Git Bash or MSYS2 on Windows: points at the Windows archive", async () => {
      await withMirror(async (base, dir) => {
        const path = await pathWithout(dir, ["uname"]);
        await Deno.writeTextFile(
          `${path}/uname`,
          '#!/bin/sh\ncase "$1" in -s) echo MINGW64_NT-10.0-26100 ;; *) echo x86_64 ;; esac\n',
          { mode: 0o755 },
        );
        const { code, text } = await install(base, dir, { CCP_VERSION: "9.8.7", PATH: path });
        assert.notEqual(code, 0, text);
        assert.match(
          text,
          /on Windows, download http:\/\/\S+\/v9\.8\.7\/ccp-9\.8\.7-x86_64-pc-windows-msvc\.zip and/,
        );
      });
    });
    await t.step(
      "no HOME (a bare container): CCP_INSTALL_DIR works, else a clear error",
      async () => {
        await withMirror(async (base, dir) => {
          const run = async (env: Record<string, string>) => {
            const out = await new Deno.Command(SHELL, {
              args: [`${ROOT}/install.sh`],
              env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", ...env },
              clearEnv: true,
              stdout: "piped",
              stderr: "piped",
            }).output();
            return new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
          };
          const env = { CCP_INSTALL_BASE_URL: base, CCP_VERSION: "9.8.7" };
          assert.match(await run(env), /HOME is not set: set CCP_INSTALL_DIR/);
          const text = await run({ ...env, CCP_INSTALL_DIR: `${dir}/bin` });
          assert.match(text, /Installed .*\/bin\/ccp \(9\.8\.7\)/);
          assert.doesNotMatch(text, /parameter not set/);
        });
      },
    );
    await t.step(
      "a relative CCP_INSTALL_DIR is made absolute: PATH advice must not be relative",
      async () => {
        await withMirror(async (base, dir) => {
          const out = await new Deno.Command(SHELL, {
            args: [`${ROOT}/install.sh`],
            cwd: dir,
            env: {
              PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
              HOME: dir,
              CCP_INSTALL_BASE_URL: base,
              CCP_VERSION: "9.8.7",
              CCP_INSTALL_DIR: "tools/bin",
            },
            clearEnv: true,
            stdout: "piped",
            stderr: "piped",
          }).output();
          const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
          assert.ok(out.success, text);
          const real = await Deno.realPath(dir);
          assert.ok(text.includes(`Installed ${real}/tools/bin/ccp (9.8.7)`), text);
          assert.ok(text.includes(`export PATH="${real}/tools/bin:$PATH"`), text);
        });
      },
    );
    await t.step("interrupted (Ctrl-C): stops there, cleans up, no other error", async () => {
      await withMirror(async (base, dir) => {
        await Deno.mkdir(`${dir}/tmp`);
        const child = new Deno.Command(SHELL, {
          args: [`${ROOT}/install.sh`],
          env: {
            PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
            HOME: dir,
            TMPDIR: `${dir}/tmp`,
            CCP_INSTALL_BASE_URL: base,
            CCP_VERSION: "9.8.7",
            CCP_INSTALL_DIR: `${dir}/bin`,
          },
          clearEnv: true,
          stdout: "piped",
          stderr: "piped",
        }).spawn();
        // While the archive downloads: the shell alone gets the signal, the download completes.
        await new Promise((done) => setTimeout(done, 500));
        child.kill("SIGINT");
        const out = await child.output();
        const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
        assert.equal(out.code, 130, text);
        assert.doesNotMatch(text, /cannot|mismatch|Installed/);
        assert.deepEqual(await Array.fromAsync(Deno.readDir(`${dir}/tmp`)), []);
        await assert.rejects(() => Deno.stat(`${dir}/bin/ccp`));
      }, { archiveDelay: 1500 });
    });
    await t.step("a shell under Rosetta on Apple silicon gets the arm64 build", async () => {
      await withMirror(async (base, dir) => {
        const path = await pathWithout(dir, ["uname"]);
        const fake = (name: string, body: string) =>
          Deno.writeTextFile(`${path}/${name}`, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
        await fake("uname", 'case "$1" in -s) echo Darwin ;; *) echo x86_64 ;; esac');
        await fake("sysctl", '[ "$*" = "-n sysctl.proc_translated" ] && echo 1');
        const { code, text } = await install(base, dir, { CCP_VERSION: "9.8.7", PATH: path });
        assert.equal(code, 0, text);
        assert.match(text, /Downloading ccp 9\.8\.7 for aarch64-apple-darwin/);
      }, { target: "aarch64-apple-darwin" });
    });
  },
});

/** What install.sh runs, from whichever of these the system has. */
const PROGRAMS = (
  "sh dash uname mktemp rm curl wget awk tr tar gzip mkdir mv chmod grep head id ldd cat " +
  "sha256sum shasum"
).split(" ");

/** A PATH of one directory linking the programs install.sh runs but `without`. */
async function pathWithout(dir: string, without: readonly string[]): Promise<string> {
  const bin = `${dir}/path`;
  await Deno.mkdir(bin);
  for (const name of PROGRAMS.filter((name) => !without.includes(name))) {
    for (const from of (Deno.env.get("PATH") ?? "/usr/bin:/bin").split(":")) {
      const found = await Deno.stat(`${from}/${name}`).then(() => true, () => false);
      if (!found) continue;
      await Deno.symlink(`${from}/${name}`, `${bin}/${name}`);
      break;
    }
  }
  return bin;
}
