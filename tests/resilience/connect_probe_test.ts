/** When ccp probes an upstream's connection for the connect timeout, and where to. */

import assert from "node:assert/strict";
import { ConnectProbes } from "../../src/resilience/connect_probe.ts";

function probes(environmentProxy = false) {
  let now = 0;
  const table = new ConnectProbes({ now: () => now, environmentProxy: () => environmentProxy });
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

Deno.test("ConnectProbes: a provider's proxy is the place; a proxy from the environment stops probing", () => {
  const { table } = probes();
  const url = "https://api.example.test/v1";
  table.answered(url);
  assert.ok(
    table.probeFor(url, "http://proxy.test:3128"),
    "through its proxy, fetch connects there",
  );
  table.answered(url, "http://proxy.test:3128");
  assert.equal(table.probeFor("https://other.test/v1", "http://proxy.test:3128"), undefined);

  const viaEnvironment = probes(true).table;
  assert.equal(viaEnvironment.probeFor(url), undefined, "fetch connects to a proxy ccp cannot see");
  assert.ok(viaEnvironment.probeFor(url, "http://proxy.test:3128"), "an explicit proxy is known");
});
