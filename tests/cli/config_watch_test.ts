import assert from "node:assert/strict";
import {
  Settler,
  touchesWatched,
  watchConfig,
  type WatchedFiles,
  watchedFiles,
} from "../../src/cli/config_watch.ts";
import { testConfig } from "../helpers/config.ts";
import { inTempDir } from "./helpers.ts";
import { saveAsEditor } from "../helpers/editor_save.ts";

const FILES: WatchedFiles = {
  dir: "/srv/ccp",
  config: "config.yaml",
  names: new Set(["config.yaml", ".env"]),
};
const event = (kind: Deno.FsEvent["kind"], ...paths: string[]): Deno.FsEvent => ({ kind, paths });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test("the filter takes the config file and its .env, saved any way, and nothing else", () => {
  assert.ok(touchesWatched(event("modify", "/srv/ccp/config.yaml"), FILES));
  assert.ok(touchesWatched(event("create", "/srv/ccp/.env"), FILES));
  assert.ok(touchesWatched(event("remove", "/srv/ccp/config.yaml"), FILES));
  // vim's and VS Code's save: a new file renamed over the old one; either end counts.
  assert.ok(
    touchesWatched(event("rename", "/srv/ccp/.config.yaml.tmp", "/srv/ccp/config.yaml"), FILES),
  );
  assert.ok(
    touchesWatched(event("rename", "/srv/ccp/config.yaml", "/srv/ccp/config.yaml~"), FILES),
  );
  assert.ok(touchesWatched(event("any", "/private/srv/ccp/config.yaml"), FILES));
  // Reading changes nothing; other files of the directory are not ccp's.
  assert.ok(!touchesWatched(event("access", "/srv/ccp/config.yaml"), FILES));
  assert.ok(!touchesWatched(event("modify", "/srv/ccp/.config.yaml.swp"), FILES));
  assert.ok(!touchesWatched(event("modify", "/srv/ccp/config.yaml.bak"), FILES));
  assert.ok(!touchesWatched(event("create", "/srv/ccp/other.yaml", "/srv/ccp/x.env"), FILES));
  // The directory itself removed (reported alone at times, without its files).
  assert.ok(touchesWatched(event("remove", "/srv/ccp"), FILES));
  // Where a watched file links to, in another directory.
  const linked = new Set(["ccp.yaml"]);
  assert.ok(touchesWatched(event("modify", "/home/u/dotfiles/ccp.yaml"), FILES, linked));
  assert.ok(!touchesWatched(event("modify", "/home/u/dotfiles/other.yaml"), FILES, linked));
});

Deno.test("a config file is watched in its directory; variables and the built-in default are not", () => {
  const config = (source: Parameters<typeof testConfig>[0]["source"]) =>
    testConfig({ providers: [], source });
  assert.deepEqual(watchedFiles(config({ kind: "file", path: "/etc/ccp/c.yaml" })), {
    dir: "/etc/ccp",
    config: "c.yaml",
    names: new Set(["c.yaml", ".env"]),
  });
  assert.equal(watchedFiles(config({ kind: "default" })), undefined);
  assert.equal(watchedFiles(config({ kind: "env" })), undefined);
});

Deno.test("the settler runs once for a burst of pokes, after it has been quiet", async () => {
  let runs = 0;
  const settler = new Settler(() => Promise.resolve(void runs++), 200);
  for (let i = 0; i < 5; i++) {
    settler.poke();
    await sleep(20);
  }
  assert.equal(runs, 0, "still within the quiet time of the last poke");
  await sleep(400);
  assert.equal(runs, 1);
  await settler.close();
});

Deno.test("a poke while a run is in progress gives exactly one more run, after it", async () => {
  const log: string[] = [];
  let release = () => {};
  let first = true;
  const settler = new Settler(async () => {
    log.push("start");
    if (first) {
      first = false;
      await new Promise<void>((resolve) => (release = resolve));
    }
    log.push("end");
  }, 20);
  settler.poke();
  await sleep(60);
  assert.deepEqual(log, ["start"]);
  // Two saves while the first reload runs: their quiet times pass before it ends.
  settler.poke();
  await sleep(40);
  settler.poke();
  await sleep(60);
  assert.deepEqual(log, ["start"], "no second run beside the first");
  release();
  await sleep(20);
  assert.deepEqual(log, ["start", "end", "start", "end"]);
  await sleep(80);
  assert.equal(log.length, 4);
  await settler.close();
});

Deno.test("closing the settler cancels a pending run", async () => {
  let runs = 0;
  const settler = new Settler(() => Promise.resolve(void runs++), 20);
  settler.poke();
  await settler.close();
  await sleep(50);
  assert.equal(runs, 0);
});

Deno.test("each way of saving reloads once; the same bytes saved again do not reload", async () => {
  await inTempDir("ccp_watch_", async (dir) => {
    const path = `${dir}/c.yaml`;
    await Deno.writeTextFile(path, "a: 1\n");
    await Deno.writeTextFile(`${dir}/unrelated.txt`, "x");
    let reloads = 0;
    const files = { dir, config: "c.yaml", names: new Set(["c.yaml", ".env"]) };
    const watch = await watchConfig({
      files,
      reload: () => Promise.resolve(void reloads++),
      warn: () => {},
      delayMs: 60,
    });
    try {
      const settled = async (expected: number) => {
        const deadline = Date.now() + 3_000;
        while (reloads < expected && Date.now() < deadline) await sleep(20);
        await sleep(150);
        assert.equal(reloads, expected);
      };
      let n = 0;
      for (const how of ["in place", "rename over", "delete and create"] as const) {
        // A short gap between delete and create, as a quick editor leaves.
        await saveAsEditor(how, path, `a: ${how}\n`, 5);
        await settled(++n);
      }
      await saveAsEditor("in place", `${dir}/.env`, "KEY=v\n");
      await settled(++n);
      // Saved unchanged, touched, and another file of the directory: no reload.
      await saveAsEditor("rename over", path, "a: delete and create\n");
      await Deno.utime(path, new Date(), new Date());
      await Deno.writeTextFile(`${dir}/unrelated.txt`, "y");
      await sleep(300);
      assert.equal(reloads, n);
    } finally {
      await watch.close();
    }
  });
});

Deno.test("a directory that cannot be watched is said once, and nothing else changes", async () => {
  const warnings: string[] = [];
  const files = {
    dir: "/nonexistent/ccp-watch",
    config: "c.yaml",
    names: new Set(["c.yaml", ".env"]),
  };
  const watch = await watchConfig({
    files,
    reload: () => Promise.reject(new Error("no reload expected")),
    warn: (text) => warnings.push(text),
  });
  await watch.remember();
  await watch.close();
  assert.equal(warnings.length, 1);
  assert.match(
    warnings[0]!,
    /^Cannot watch \/nonexistent\/ccp-watch for saves of the config \(.+\); SIGHUP reloads it$/,
  );
});

Deno.test("a watched directory removed: no reload, and one warning that saves are no longer seen", async () => {
  await inTempDir("ccp_watch_", async (parent) => {
    const dir = `${parent}/conf`;
    await Deno.mkdir(dir);
    await Deno.writeTextFile(`${dir}/c.yaml`, "a: 1\n");
    let reloads = 0;
    const warnings: string[] = [];
    const watch = await watchConfig({
      files: { dir, config: "c.yaml", names: new Set(["c.yaml", ".env"]) },
      reload: () => Promise.resolve(void reloads++),
      warn: (text) => warnings.push(text),
      delayMs: 40,
    });
    try {
      await Deno.remove(dir, { recursive: true });
      const deadline = Date.now() + 3_000;
      while (warnings.length === 0 && Date.now() < deadline) await sleep(20);
      await sleep(100);
      assert.equal(reloads, 0);
      assert.equal(warnings.length, 1);
      assert.match(
        warnings[0]!,
        /conf is gone: saves are no longer watched; the config loaded stays/,
      );
    } finally {
      await watch.close();
    }
  });
});

Deno.test("a config file that is a symbolic link: saves to its target reload, and a new target is followed", async () => {
  // As stow, chezmoi or home-manager link it: the file saved lives in another directory.
  await inTempDir("ccp_watch_", async (dir) => {
    await Deno.mkdir(`${dir}/conf`);
    await Deno.mkdir(`${dir}/dotfiles/a`, { recursive: true });
    await Deno.mkdir(`${dir}/dotfiles/b`);
    await Deno.writeTextFile(`${dir}/dotfiles/a/ccp.yaml`, "a: 1\n");
    await Deno.writeTextFile(`${dir}/dotfiles/b/env`, "K=1\n");
    await Deno.symlink("../dotfiles/a/ccp.yaml", `${dir}/conf/c.yaml`);
    await Deno.symlink(`${dir}/dotfiles/b/env`, `${dir}/conf/.env`);
    let reloads = 0;
    const warnings: string[] = [];
    const watch = await watchConfig({
      files: { dir: `${dir}/conf`, config: "c.yaml", names: new Set(["c.yaml", ".env"]) },
      reload: () => Promise.resolve(void reloads++),
      warn: (text) => warnings.push(text),
      delayMs: 40,
    });
    const settled = async (expected: number) => {
      const deadline = Date.now() + 3_000;
      while (reloads < expected && Date.now() < deadline) await sleep(20);
      await sleep(150);
      assert.equal(reloads, expected);
    };
    try {
      await saveAsEditor("in place", `${dir}/dotfiles/a/ccp.yaml`, "a: 2\n");
      await settled(1);
      await saveAsEditor("rename over", `${dir}/dotfiles/a/ccp.yaml`, "a: 3\n");
      await settled(2);
      await saveAsEditor("in place", `${dir}/dotfiles/b/env`, "K=2\n");
      await settled(3);
      // The link pointed elsewhere (a restow, a home-manager switch): the new target is watched.
      await Deno.mkdir(`${dir}/dotfiles/c`);
      await Deno.writeTextFile(`${dir}/dotfiles/c/ccp.yaml`, "a: 4\n");
      await Deno.symlink("../dotfiles/c/ccp.yaml", `${dir}/conf/c.yaml.new`);
      await Deno.rename(`${dir}/conf/c.yaml.new`, `${dir}/conf/c.yaml`);
      await settled(4);
      await saveAsEditor("in place", `${dir}/dotfiles/c/ccp.yaml`, "a: 5\n");
      await settled(5);
      // The old target is no longer the config: its saves reload nothing.
      await saveAsEditor("in place", `${dir}/dotfiles/a/ccp.yaml`, "a: 6\n");
      await sleep(300);
      assert.equal(reloads, 5);
      // A target gone (a checkout in progress) is waited for as a config file gone is.
      await Deno.remove(`${dir}/dotfiles/c/ccp.yaml`);
      const deadline = Date.now() + 3_000;
      while (warnings.length === 0 && Date.now() < deadline) await sleep(20);
      await sleep(150);
      assert.equal(reloads, 5);
      assert.equal(warnings.length, 1, warnings.join("\n"));
      assert.match(warnings[0]!, /c\.yaml is gone: the config loaded stays/);
      await Deno.writeTextFile(`${dir}/dotfiles/c/ccp.yaml`, "a: 7\n");
      await settled(6);
    } finally {
      await watch.close();
    }
  });
});
