/** When ccp probes an upstream's connection for the connect timeout, and where to. */

import assert from "node:assert/strict";
import { ConnectProbes, tcpConnectProbe } from "../../src/resilience/connect_probe.ts";

function probes() {
  let now = 0;
  const table = new ConnectProbes({ now: () => now });
  return { table, advance: (ms: number) => void (now += ms) };
}

Deno.test("ConnectProbes: a place is probed until it answers, and again a minute later", () => {
  const { table, advance } = probes();
  const url = "https://api.example.test/v1/chat/completions";
  assert.ok(table.probeFor(url), "a place never answered is probed");
  assert.ok(table.probeFor(url), "and again while it has not answered");
  table.answered(url);
  assert.equal(table.probeFor(url), undefined, "fetch reuses the pooled connection");
  assert.equal(
    table.probeFor("https://api.example.test/v1/models"),
    undefined,
    "any path of the same origin",
  );
  assert.ok(table.probeFor("https://api.example.test:8443/v1"), "another port is another place");
  assert.ok(table.probeFor("http://api.example.test/v1"), "another scheme is another place");
  advance(59_000);
  assert.equal(table.probeFor(url), undefined);
  advance(2_000);
  assert.ok(table.probeFor(url), "a minute without an answer: fetch may connect anew");
});

Deno.test("ConnectProbes: a proxy is the place, each upstream through it a tunnel of its own", () => {
  const { table } = probes();
  const url = "https://api.example.test/v1";
  table.answered(url);
  assert.ok(
    table.probeFor(url, "http://proxy.test:3128"),
    "through its proxy, fetch connects there",
  );
  table.answered(url, "http://proxy.test:3128");
  assert.equal(table.probeFor(url, "http://proxy.test:3128"), undefined);
  assert.ok(
    table.probeFor("https://other.test/v1", "http://proxy.test:3128"),
    "another upstream through the same proxy is another tunnel",
  );
});

Deno.test("tcpConnectProbe: a name's looked-up addresses are tried beside the system's first", async (t) => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  const accepting = (async () => {
    for await (const conn of listener) conn.close();
  })();
  try {
    await t.step("the system cannot reach the name, one of its addresses listens", async () => {
      const asked: string[] = [];
      const probe = tcpConnectProbe(`https://api.example.invalid:${port}/v1`, undefined, (name) => {
        asked.push(name);
        return Promise.resolve(["127.0.0.2", "127.0.0.1"]);
      });
      await probe(new AbortController().signal);
      assert.deepEqual(asked, ["api.example.invalid"]);
    });
    await t.step("no attempt connects: the probe fails", async () => {
      const probe = tcpConnectProbe(
        `https://api.example.invalid:${port}/v1`,
        undefined,
        () => Promise.reject(new Error("no address")),
      );
      await assert.rejects(probe(new AbortController().signal));
    });
    await t.step("IP literals and local names are not looked up", async () => {
      for (const host of ["127.0.0.1", "[::1]", "localhost", "gpu-box"]) {
        const probe = tcpConnectProbe(`http://${host}:${port}/v1`, undefined, () => {
          throw new Error(`${host} was looked up`);
        });
        await probe(new AbortController().signal).catch((error: Error) => {
          assert.doesNotMatch(error.message, /looked up/);
        });
      }
    });
  } finally {
    listener.close();
    await accepting.catch(() => {});
  }
});
