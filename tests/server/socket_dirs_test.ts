/**
 * Where the socket directories are made: in the per-user parent only when it is this user's real
 * directory, mode 0700. The sweep of leftover socket directories: only a dead ccp's go, anything
 * else beside them stays; and for real, a ccp killed with SIGKILL leaves its directory, which the
 * next ccp removes.
 */

import assert from "node:assert/strict";
import { makeSocketDir, SOCKET_NAME, sweepSocketDirs } from "../../src/server/socket_dirs.ts";
import { childEnv, spawnCcp } from "../cli/helpers.ts";

const OLD = new Date(Date.now() - 3_600_000);
const PARENT = `ccp-sockets-${Deno.uid()}`;

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

Deno.test("socket directories go in the per-user parent only when it is this user's, 0700", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "ccp_sweep_parent_" });
  const parent = `${tmp}/${PARENT}`;
  const inParent = new RegExp(`^${parent}/ccp-${Deno.pid}-[0-9a-f]{1,16}$`);
  const inTmp = new RegExp(`^${tmp}/ccp-${Deno.pid}-[0-9a-f]{1,16}$`);
  /** Where makeSocketDir puts the directory, which then goes again. */
  const made = async (dir = tmp): Promise<string> => {
    const path = await makeSocketDir(dir);
    await Deno.remove(path);
    return path;
  };
  try {
    // Made when missing, mode 0700, and used again by the next ccp.
    assert.match(await made(), inParent);
    assert.equal((await Deno.lstat(parent)).mode! & 0o777, 0o700);
    assert.match(await made(), inParent);
    assert.deepEqual(await names(tmp), [PARENT]);
    await Deno.remove(parent);

    // Not used, and left as it is: a symlink (even to a directory of this user's, 0700), another
    // mode, a file.
    await Deno.mkdir(`${tmp}/elsewhere`, { mode: 0o700 });
    await Deno.symlink(`${tmp}/elsewhere`, parent);
    assert.match(await made(), inTmp);
    assert.deepEqual(await names(`${tmp}/elsewhere`), []);
    assert.ok((await Deno.lstat(parent)).isSymlink);
    await Deno.remove(parent);
    await Deno.mkdir(parent, { mode: 0o755 });
    await Deno.chmod(parent, 0o755);
    assert.match(await made(), inTmp);
    assert.equal((await Deno.lstat(parent)).mode! & 0o777, 0o755);
    await Deno.remove(parent);
    await Deno.writeTextFile(parent, "a file");
    assert.match(await made(), inTmp);
    await Deno.remove(parent);
    if (Deno.uid() === 0) {
      // Another user's, even mode 0700.
      await Deno.mkdir(parent, { mode: 0o700 });
      await Deno.chown(parent, 65534, 65534);
      assert.match(await made(), inTmp);
      assert.deepEqual(await names(parent), []);
      await Deno.remove(parent);
    }

    // A temp dir so deep that the socket path in the parent would pass the Unix limit.
    const deep = `${tmp}/${"d".repeat(40)}`;
    await Deno.mkdir(deep);
    assert.match(await made(deep), new RegExp(`^${deep}/ccp-${Deno.pid}-[0-9a-f]{1,16}$`));
    assert.deepEqual(await names(deep), []);
  } finally {
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
    assert.deepEqual(await names(tmp), [PARENT], "only the per-user parent is in the temp dir");
    const parent = `${tmp}/${PARENT}`;
    const left = await names(parent);
    assert.equal(left.length, 1, left.join(" "));
    assert.match(left[0]!, new RegExp(`^ccp-${first.process.pid}-[0-9a-f]+$`));
    assert.deepEqual(await names(`${parent}/${left[0]}`), [SOCKET_NAME]);
    // A minute old, as after a restart that followed the kill.
    await age(`${parent}/${left[0]}`);

    const second = await serve();
    try {
      await second.waitForStderr(/Removed 1 socket directory that ccp processes killed/);
      const now = await names(parent);
      assert.equal(now.length, 1);
      assert.match(now[0]!, new RegExp(`^ccp-${second.process.pid}-`));
      second.process.kill("SIGTERM");
      assert.equal((await second.exit()).code, 0, second.stderr());
    } finally {
      await second.kill();
    }
    assert.deepEqual(await names(parent), [], "a ccp that stops removes its own");
    assert.deepEqual(await names(tmp), [PARENT], "the parent stays, for the next ccp");
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
  const reached = Promise.withResolvers<void>();
  const upstream = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async () => (reached.resolve(), await held.promise, new Response("{}")),
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
    assert.equal((await names(`${tmp}/${PARENT}`)).length, 1);
    // Once the request has reached the upstream, the drain has one to wait for.
    await reached.promise;
    ccp.process.kill("SIGTERM");
    await ccp.waitForStderr(/Stopping/);
    // Past the 200 ms within which a second signal is the same stop sent twice.
    await new Promise((resolve) => setTimeout(resolve, 300));
    ccp.process.kill("SIGTERM");
    assert.equal((await ccp.exit()).code, 130, ccp.stderr());
    assert.match(ccp.stderr(), /Second signal: exiting now/);
    assert.deepEqual(await names(`${tmp}/${PARENT}`), []);
    await request;
  } finally {
    await ccp.kill();
    held.resolve();
    await upstream.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});
