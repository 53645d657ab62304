import assert from "node:assert/strict";
import {
  DepartureWatcher,
  normalAddress,
  parseSs,
  type SocketRow,
} from "../../src/server/departures.ts";
import { startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { thinkingTextToolMessage } from "../mocks/anthropic_fixtures.ts";
import { readToClose } from "../hostile/_sockets.ts";

Deno.test("parseSs: states and addresses, IPv4, IPv6 and IPv4-mapped", () => {
  const text = "ESTAB      0      0      127.0.0.1:8082 127.0.0.1:53944\n" +
    "CLOSE-WAIT 1      0      [::1]:8082 [::1]:40000\n" +
    "ESTAB      0      0      [::ffff:127.0.0.1]:8082 [::ffff:127.0.0.1]:41000\n";
  assert.deepEqual(parseSs(text), [
    { state: "ESTAB", local: "127.0.0.1|8082", peer: "127.0.0.1|53944" },
    { state: "CLOSE-WAIT", local: "::1|8082", peer: "::1|40000" },
    { state: "ESTAB", local: "127.0.0.1|8082", peer: "127.0.0.1|41000" },
  ]);
  assert.equal(normalAddress("::FFFF:10.0.0.2", 1), "10.0.0.2|1");
});

Deno.test("DepartureWatcher: notices a client that hung up, and only that one", async () => {
  let rows: SocketRow[] = [
    { state: "ESTAB", local: "127.0.0.1|8082", peer: "127.0.0.1|50000" },
    { state: "ESTAB", local: "127.0.0.1|8082", peer: "127.0.0.1|50001" },
  ];
  const watcher = new DepartureWatcher({ intervalMs: 5, list: () => Promise.resolve(rows) });
  const gone: string[] = [];
  watcher.watch({ hostname: "127.0.0.1", port: 50000, localPort: 8082 }, () => gone.push("a"));
  const stop = watcher.watch(
    { hostname: "127.0.0.1", port: 50001, localPort: 8082 },
    () => gone.push("b"),
  );
  await new Promise((r) => setTimeout(r, 30));
  assert.deepEqual(gone, [], "both still connected");
  rows = [
    { state: "CLOSE-WAIT", local: "127.0.0.1|8082", peer: "127.0.0.1|50000" },
    { state: "ESTAB", local: "127.0.0.1|8082", peer: "127.0.0.1|50001" },
  ];
  await new Promise((r) => setTimeout(r, 30));
  assert.deepEqual(gone, ["a"], "CLOSE-WAIT: the client left");
  stop();
  rows = [];
  await new Promise((r) => setTimeout(r, 30));
  assert.deepEqual(gone, ["a"], "a watch that was stopped never fires");
});

Deno.test("DepartureWatcher: a connection never listed on the Host header's port is not taken for gone", async () => {
  // Behind a port mapping, a tunnel or a reverse proxy the client's Host may name a port the
  // connection did not come in on: that port's listing (here another client's) says nothing of it.
  const watcher = new DepartureWatcher({
    intervalMs: 5,
    list: () => Promise.resolve([{ state: "ESTAB", local: "127.0.0.1|9000", peer: "10.0.0.1|4" }]),
  });
  let gone = false;
  watcher.watch({ hostname: "127.0.0.1", port: 50000, localPort: 9000 }, () => (gone = true));
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(gone, false);
});

Deno.test("DepartureWatcher: without a way to list sockets it stays out of the way", async () => {
  const watcher = new DepartureWatcher({
    intervalMs: 5,
    list: () => Promise.reject(new Error("no ss")),
  });
  let gone = false;
  watcher.watch({ hostname: "127.0.0.1", port: 1, localPort: 2 }, () => (gone = true));
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(gone, false);
});

Deno.test("DepartureWatcher: clients behind the guard are reported, never listed", async () => {
  let listed = 0;
  const watcher = new DepartureWatcher({
    intervalMs: 5,
    list: () => {
      listed++;
      return Promise.resolve([]);
    },
  });
  const gone: string[] = [];
  const peer = (port: number, connection: number) => ({
    hostname: "127.0.0.1",
    port,
    localPort: 8082,
    reported: true,
    connection,
  });
  watcher.watch(peer(5001, 1), () => gone.push("a"));
  const unwatch = watcher.watch(peer(5002, 2), () => gone.push("b"));
  unwatch();
  watcher.gone("127.0.0.1:5002#2");
  watcher.gone("127.0.0.1:5001#1");
  // A request that registers just after its client left hears it at once.
  watcher.watch(peer(5001, 1), () => gone.push("late"));
  await new Promise((r) => setTimeout(r, 30));
  assert.deepEqual(gone, ["a", "late"]);
  assert.equal(listed, 0, "no socket listing for reported clients");
});

Deno.test("DepartureWatcher: a new connection from a port a departed client used is not taken for it", async () => {
  const watcher = new DepartureWatcher({ intervalMs: 5, list: () => Promise.resolve([]) });
  const gone: string[] = [];
  const peer = (connection: number) => ({
    hostname: "::1",
    port: 40000,
    localPort: 8082,
    reported: true,
    connection,
  });
  watcher.watch(peer(7), () => gone.push("first"));
  watcher.gone("::1:40000#7");
  // The client's system gives the next connection the same port a moment later.
  const unwatch = watcher.watch(peer(8), () => gone.push("second"));
  await new Promise((r) => setTimeout(r, 30));
  assert.deepEqual(gone, ["first"]);
  unwatch();
});

Deno.test({
  name: "without the guard, a request whose Host names another port (a port mapping) is served",
  // `ss` is asked on Linux only.
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    // An upstream that thinks a while: long enough for several looks at the sockets.
    const upstream = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      async (req) => {
        await req.text();
        await new Promise((r) => setTimeout(r, 1000));
        return Response.json(thinkingTextToolMessage("m"));
      },
    );
    const ccp = startCcp(testConfig({
      providers: [
        provider("up", {
          baseUrl: `http://127.0.0.1:${upstream.addr.port}`,
          apiKeys: ["k-1234567890"],
          maxRetries: 0,
        }),
      ],
      routes: { default: "up/m" },
    }));
    try {
      // A Claude Code-sized body (Deno alone does not report this client leaving), sent as
      // `docker run -p 9000:8082` or an SSH tunnel delivers it: Host names the client's port.
      const body = new TextEncoder().encode(JSON.stringify({
        model: "m",
        max_tokens: 10,
        messages: [{ role: "user", content: "x".repeat(5000) }],
      }));
      const conn = await Deno.connect({
        hostname: "127.0.0.1",
        port: Number(new URL(ccp.url).port),
      });
      await conn.write(new TextEncoder().encode(
        "POST /v1/messages HTTP/1.1\r\nhost: localhost:9\r\ncontent-type: application/json\r\n" +
          `content-length: ${body.byteLength}\r\nconnection: close\r\n\r\n`,
      ));
      await conn.write(body);
      const { text } = await readToClose(conn, 5000);
      conn.close();
      assert.match(text, /^HTTP\/1\.1 200 /, text.slice(0, 400));
    } finally {
      await ccp.close();
      await upstream.shutdown();
    }
  },
});
