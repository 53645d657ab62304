/** Which proxy the environment names for a URL, as ccp reads HTTP_PROXY, HTTPS_PROXY and NO_PROXY. */

import assert from "node:assert/strict";
import { environmentProxyFor, readEnvironmentProxies } from "../../src/upstream/http/env_proxy.ts";

const P = "http://proxy.corp:3128";

function via(env: Record<string, string>, url: string): string | undefined {
  const found = environmentProxyFor(url, readEnvironmentProxies((name) => env[name]));
  return found && `${found.url} ${found.variable}`;
}

Deno.test("environment proxies: each scheme takes its own variable, either case, ALL_PROXY last", () => {
  const cases: Array<[Record<string, string>, string, string | undefined]> = [
    [{ HTTP_PROXY: P }, "http://api.test/v1", `${P} HTTP_PROXY`],
    [{ HTTP_PROXY: P }, "https://api.test/v1", undefined],
    [{ http_proxy: P }, "http://api.test/v1", `${P} http_proxy`],
    [{ HTTPS_PROXY: P }, "https://api.test/v1", `${P} HTTPS_PROXY`],
    [{ HTTPS_PROXY: P }, "http://api.test/v1", undefined],
    [{ https_proxy: P }, "https://api.test/v1", `${P} https_proxy`],
    [{ ALL_PROXY: P }, "https://api.test/v1", `${P} ALL_PROXY`],
    [{ all_proxy: P }, "http://api.test/v1", `${P} all_proxy`],
    [{ ALL_PROXY: "http://all:1", HTTPS_PROXY: P }, "https://api.test/v1", `${P} HTTPS_PROXY`],
    [{ HTTPS_PROXY: "proxy.corp:3128" }, "https://api.test/v1", `${P} HTTPS_PROXY`],
    [{ HTTPS_PROXY: "" }, "https://api.test/v1", undefined],
  ];
  for (const [env, url, expected] of cases) {
    assert.equal(via(env, url), expected, `${JSON.stringify(env)} ${url}`);
  }
});

Deno.test("environment proxies: loopback is always reached directly (Deno's fetch would not)", () => {
  const env = { HTTP_PROXY: P, HTTPS_PROXY: P };
  for (
    const url of [
      "http://127.0.0.1:11434/v1",
      "http://127.1.2.3:8080/",
      "http://localhost:1234/v1",
      "http://LOCALHOST:1234/v1",
      "https://ollama.localhost/v1",
      "http://[::1]:8000/v1",
    ]
  ) {
    assert.equal(via(env, url), undefined, url);
  }
  assert.equal(via(env, "http://192.168.1.20:11434/v1"), `${P} HTTP_PROXY`, "a LAN host is not");
});

Deno.test("environment proxies: NO_PROXY as curl reads it", () => {
  const table: Array<[string, string, boolean]> = [
    // [NO_PROXY, URL, bypassed]
    ["example.test", "https://example.test/v1", true],
    ["example.test", "https://api.example.test/v1", true],
    ["example.test", "https://notexample.test/v1", false],
    [".example.test", "https://example.test/v1", true],
    [".example.test", "https://api.example.test/v1", true],
    ["*.example.test", "https://api.example.test/v1", true],
    ["*", "https://api.example.test/v1", true],
    ["*", "http://10.0.0.5:8000/v1", true],
    ["EXAMPLE.TEST", "https://api.example.test/v1", true],
    ["example.test:8443", "https://example.test:8443/v1", true],
    ["example.test:8443", "https://example.test/v1", false],
    ["example.test:443", "https://example.test/v1", true],
    ["10.0.0.0/8", "http://10.1.2.3:8000/v1", true],
    ["10.0.0.0/8", "http://11.1.2.3:8000/v1", false],
    ["192.168.1.20", "http://192.168.1.20:11434/v1", true],
    ["[fd00::1]:8000", "http://[fd00::1]:8000/v1", true],
    ["fd00::1", "http://[fd00::1]:8000/v1", true],
    ["other.test, example.test", "https://example.test/v1", true],
    ["other.test example.test", "https://example.test/v1", true],
    ["", "https://example.test/v1", false],
  ];
  for (const [noProxy, url, bypassed] of table) {
    const found = via({ HTTP_PROXY: P, HTTPS_PROXY: P, NO_PROXY: noProxy }, url);
    assert.equal(found === undefined, bypassed, `NO_PROXY=${noProxy} ${url}`);
  }
  assert.equal(
    via({ HTTPS_PROXY: P, no_proxy: "example.test" }, "https://example.test/v1"),
    undefined,
    "no_proxy in lower case",
  );
});

Deno.test("environment proxies: IPv6 addresses and ranges in NO_PROXY, as curl reads them", () => {
  const table: Array<[string, string, boolean]> = [
    // [NO_PROXY, URL, bypassed]
    ["fd00::/8", "http://[fd12:3456::1]:8000/v1", true],
    ["fd00::/8", "http://[fe80::1]:8000/v1", false],
    ["[fd00::]/8", "http://[fd12::1]:8000/v1", true],
    ["2001:db8::/32", "https://[2001:db8:1::5]/v1", true],
    ["2001:db8::/32", "https://[2001:db9::5]/v1", false],
    ["2001:db8:0:0::/64", "https://[2001:db8::abcd]/v1", true],
    ["fd00:0:0::1", "http://[fd00::1]:8000/v1", true],
    ["[fd00::1]", "http://[fd00::1]:8000/v1", true],
    ["fd00::1", "http://[fd00::2]:8000/v1", false],
    ["FD00::1", "http://[fd00::1]:8000/v1", true],
    ["::/0", "http://[2001:db8::1]/v1", true],
    ["fd00::/8", "http://10.1.2.3/v1", false],
    ["fd00::/8", "http://fd00.example.test/v1", false],
    ["10.0.0.0/8", "http://[fd00::1]/v1", false],
    ["fd00::/129", "http://[fd00::1]/v1", false],
  ];
  for (const [noProxy, url, bypassed] of table) {
    const found = via({ HTTP_PROXY: P, HTTPS_PROXY: P, NO_PROXY: noProxy }, url);
    assert.equal(found === undefined, bypassed, `NO_PROXY=${noProxy} ${url}`);
  }
  // Loopback is direct whatever NO_PROXY says; `::1` and `[::1]` as entries are accepted too.
  for (const entry of ["::1", "[::1]"]) {
    assert.equal(via({ HTTP_PROXY: P, NO_PROXY: entry }, "http://[::1]:8000/v1"), undefined);
    assert.ok(via({ HTTP_PROXY: P, NO_PROXY: entry }, "http://[fd00::1]:8000/v1"), entry);
  }
});

Deno.test("environment proxies: a .env file's settings apply where the process sets none", () => {
  const read = (own: Record<string, string>, file: Record<string, string>, url: string) => {
    const found = environmentProxyFor(url, readEnvironmentProxies((name) => own[name], file));
    return found && `${found.url} ${found.variable}`;
  };
  const F = "http://file.proxy:3128";
  assert.equal(read({}, { HTTPS_PROXY: F }, "https://api.test/v1"), `${F} HTTPS_PROXY in .env`);
  assert.equal(read({}, { all_proxy: F }, "http://api.test/v1"), `${F} all_proxy in .env`);
  // The process environment wins per setting, whatever the case of either.
  assert.equal(
    read({ https_proxy: P }, { HTTPS_PROXY: F }, "https://api.test/v1"),
    `${P} https_proxy`,
  );
  assert.equal(read({ ALL_PROXY: P }, { HTTPS_PROXY: F }, "https://api.test/v1"), `${P} ALL_PROXY`);
  assert.equal(
    read({ HTTP_PROXY: P }, { HTTPS_PROXY: F }, "https://api.test/v1"),
    `${F} HTTPS_PROXY in .env`,
  );
  assert.equal(read({ HTTP_PROXY: P }, { NO_PROXY: "api.test" }, "http://api.test/v1"), undefined);
  assert.equal(
    read({ HTTP_PROXY: P, no_proxy: "other.test" }, { NO_PROXY: "api.test" }, "http://api.test/v1"),
    `${P} HTTP_PROXY`,
  );
});
