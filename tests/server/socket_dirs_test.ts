/**
 * The sweep of leftover socket directories: only a dead ccp's go, anything else in the temp dir
 * stays; and for real, a ccp killed with SIGKILL leaves its directory, which the next ccp removes.
 */

import assert from "node:assert/strict";
import { SOCKET_NAME, sweepSocketDirs } from "../../src/server/socket_dirs.ts";
import { childEnv, spawnCcp } from "../cli/helpers.ts";

const OLD = new Date(Date.now() - 3_600_000);

/**
 * A directory as a killed ccp leaves it: its socket, bound and then without a listener. (Closing a
 * listener removes its path, which a killed process cannot do: a second link to it stays.)
 */
async function deadDir(path: string): Promise<void> {
  await Deno.mkdir(path, { mode: 0o700 });
  const listener = Deno.listen({ transport: "unix", path: `${path}/bound.sock` });
  await Deno.link(`${path}/bound.sock`, `${path}/${SOCKET_NAME}`);
  listener.close();
  await age(path);
}

async function age(path: string): Promise<void> {
  for await (const entry of Deno.readDir(path)) await Deno.utime(`${path}/${entry.name}`, OLD, OLD);
  await Deno.utime(path, OLD, OLD);
}

async function names(dir: string): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(dir)) found.push(entry.name);
  return found.sort();
}

Deno.test("socket directory sweep: a dead ccp's directories go, nothing else does", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "ccp_sweep_" });
  await Deno.mkdir(`${tmp}/ccp-1-aa`, { mode: 0o700 });
  const live = Deno.listen({ transport: "unix", path: `${tmp}/ccp-1-aa/${SOCKET_NAME}` });
  try {
    const own = `${tmp}/ccp-${Deno.pid}-0123abcd`;
    await Deno.mkdir(own, { mode: 0o700 });
    // Left by killed ccps: an older build's name, and a socket of this build's; and two killed
    // between making the directory and binding its socket.
    await deadDir(`${tmp}/ccp-5f3a9c01d2e4b6f7`);
    await deadDir(`${tmp}/ccp-4194301-1a2b3c`);
    await Deno.mkdir(`${tmp}/ccp-4194302-9e8d`, { mode: 0o700 });
    await age(`${tmp}/ccp-4194302-9e8d`);
    await Deno.mkdir(`${tmp}/ccp-9e8f`, { mode: 0o700 });
    await age(`${tmp}/ccp-9e8f`);

    // Kept: someone listens (a running ccp), made a moment ago (one starting, its socket bound or
    // not yet), one holding something else, another mode, a symlink, a file, names ccp does not
    // make.
    await age(`${tmp}/ccp-1-aa`);
    await deadDir(`${tmp}/ccp-2-bb`);
    await Deno.utime(`${tmp}/ccp-2-bb`, new Date(), new Date());
    await Deno.mkdir(`${tmp}/ccp-${Deno.pid}-cc`, { mode: 0o700 });
    await deadDir(`${tmp}/ccp-3-ee`);
    await Deno.writeTextFile(`${tmp}/ccp-3-ee/notes.txt`, "mine");
    await age(`${tmp}/ccp-3-ee`);
    await deadDir(`${tmp}/ccp-4-ff`);
    await Deno.chmod(`${tmp}/ccp-4-ff`, 0o755);
    await deadDir(`${tmp}/target`);
    await Deno.symlink(`${tmp}/target`, `${tmp}/ccp-5-abc`);
    await Deno.writeTextFile(`${tmp}/ccp-6-abd`, "a file");
    await deadDir(`${tmp}/ccp-hostile`);
    await deadDir(`${tmp}/ccp_7_abe`);
    const kept = [
      "ccp-1-aa",
      "ccp-2-bb",
      `ccp-${Deno.pid}-cc`,
      "ccp-3-ee",
      "ccp-4-ff",
      "target",
      "ccp-5-abc",
      "ccp-6-abd",
      "ccp-hostile",
      "ccp_7_abe",
    ];
    if (Deno.uid() === 0) {
      // Another user's, which root could remove: not ccp's to touch.
      await deadDir(`${tmp}/ccp-8-abf`);
      await Deno.chown(`${tmp}/ccp-8-abf`, 65534, 65534);
      kept.push("ccp-8-abf");
    }

    // A ccp that is stopping ends its sweep.
    assert.equal(await sweepSocketDirs(own, AbortSignal.abort()), 0);
    assert.equal(await sweepSocketDirs(own), 4);
    assert.deepEqual(await names(tmp), [...kept, own.slice(tmp.length + 1)].sort());
    assert.deepEqual(await names(`${tmp}/ccp-3-ee`), [SOCKET_NAME, "notes.txt"]);
    assert.deepEqual(await names(`${tmp}/target`), [SOCKET_NAME]);
    assert.equal(await sweepSocketDirs(own), 0, "a second sweep finds nothing more");
  } finally {
    live.close();
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("a ccp killed with SIGKILL leaves its socket directory; the next ccp removes it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_sweep_serve_" });
  const tmp = `${dir}/tmp`;
  await Deno.mkdir(tmp);
  await Deno.writeTextFile(
    `${dir}/c.yaml`,
    "providers:\n  up: { type: anthropic, base_url: http://127.0.0.1:9, api_key: k-12345678 }\n" +
      "routes:\n  default: up/m\n",
  );
  const env = childEnv(dir, { TMPDIR: tmp });
  const serve = () => spawnCcp(["serve", "--config", "c.yaml", "--port", "0"], { cwd: dir, env });
  try {
    const first = await serve();
    try {
      await first.waitForStderr(/listening on/);
      first.process.kill("SIGKILL");
      await first.exit();
    } finally {
      await first.kill();
    }
    const left = await names(tmp);
    assert.equal(left.length, 1, left.join(" "));
    assert.match(left[0]!, new RegExp(`^ccp-${first.process.pid}-[0-9a-f]+$`));
    assert.deepEqual(await names(`${tmp}/${left[0]}`), [SOCKET_NAME]);
    // A minute old, as after a restart that followed the kill.
    await age(`${tmp}/${left[0]}`);

    const second = await serve();
    try {
      await second.waitForStderr(/Removed 1 socket directory that ccp processes killed/);
      const now = await names(tmp);
      assert.equal(now.length, 1);
      assert.match(now[0]!, new RegExp(`^ccp-${second.process.pid}-`));
      second.process.kill("SIGTERM");
      assert.equal((await second.exit()).code, 0, second.stderr());
    } finally {
      await second.kill();
    }
    assert.deepEqual(await names(tmp), [], "a ccp that stops removes its own");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a second stop signal exits at once and still removes the socket directory", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_sweep_exit_" });
  const tmp = `${dir}/tmp`;
  await Deno.mkdir(tmp);
  // An upstream that holds every request, so the first signal's drain waits.
  const held = Promise.withResolvers<void>();
  const upstream = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async () => (await held.promise, new Response("{}")),
  );
  await Deno.writeTextFile(
    `${dir}/c.yaml`,
    `providers:\n  up: { type: anthropic, base_url: "http://127.0.0.1:${upstream.addr.port}", ` +
      "api_key: k-12345678 }\nroutes:\n  default: up/m\n",
  );
  const ccp = await spawnCcp(["serve", "--config", "c.yaml", "--port", "0"], {
    cwd: dir,
    env: childEnv(dir, { TMPDIR: tmp }),
  });
  try {
    const [, url] = await ccp.waitForStderr(/listening on (http:\/\/[\d.:]+)/);
    const request = fetch(`${url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: "m",
        max_tokens: 5,
        messages: [{ role: "user", content: "hi" }],
      }),
    }).then((res) => res.body?.cancel(), () => {});
    assert.equal((await names(tmp)).length, 1);
    // The request has reached the upstream once the drain has one to wait for.
    await new Promise((resolve) => setTimeout(resolve, 300));
    ccp.process.kill("SIGTERM");
    await ccp.waitForStderr(/Stopping/);
    await new Promise((resolve) => setTimeout(resolve, 300));
    ccp.process.kill("SIGTERM");
    assert.equal((await ccp.exit()).code, 130, ccp.stderr());
    assert.match(ccp.stderr(), /Second signal: exiting now/);
    assert.deepEqual(await names(tmp), []);
    await request;
  } finally {
    await ccp.kill();
    held.resolve();
    await upstream.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});
