import assert from "node:assert/strict";
import {
  configuredKeys,
  providerSecrets,
  redactKey,
  scrubSecrets,
} from "../../src/core/secrets.ts";
import { encodedForms, MIN_PIECE } from "../../src/core/key_forms.ts";

const KEY = "Qm4Tz8Wc2Rv6Yb0Nf3Hk7Ls1Pd5Jg9Xa";

Deno.test("redactKey keeps only the last 4 characters, and nothing of keys under 16", () => {
  assert.equal(redactKey("nvapi-0123456789abcdefWXYZ"), "…WXYZ");
  assert.equal(redactKey("1234567890123456"), "…3456");
  // Of a 12 to 15 character key, an upstream's mask showing its first 8 plus these last 4 would
  // leave 0 to 3 characters unseen.
  assert.equal(redactKey("123456789012345"), "…");
  assert.equal(redactKey("123456789012"), "…");
  assert.equal(redactKey("12345678901"), "…");
  assert.equal(redactKey("123456789"), "…");
  assert.equal(redactKey("short"), "…");
});

Deno.test("a key is found as it is, encoded at any offset, and in long enough pieces", () => {
  const basic = (user: string) => btoa(`${user}:${KEY}`);
  const cases = [
    KEY,
    basic("a"),
    basic("ab"),
    basic("abc"),
    basic("ab").replace(/\+/g, "-").replace(/\//g, "_"),
    encodeURIComponent(`${KEY}/+=`),
  ];
  for (const quoted of cases) {
    const out = scrubSecrets(`before ${quoted} after`, [KEY, `${KEY}/+=`]);
    const left = /^before (\S*)\[redacted\](\S*) after$/.exec(out);
    assert.ok(left, out);
    // Left of an encoded form: the user name's characters (with the edge one, which the key's
    // first bits share), and at the end the last character and padding.
    assert.ok(left[1]!.length <= 6 && left[2]!.length <= 3, out);
  }
  const pieces = scrubSecrets(`"${KEY.slice(0, 16)}" + "${KEY.slice(16)}"`, [KEY]);
  assert.equal(pieces, `"[redacted]" + "[redacted]"`);
  assert.equal(scrubSecrets("key a\\/b\\/c\\/d-e", ["a/b/c/d-e"]), "key [redacted]");
});

Deno.test("a key is found in hex, as HTML entities or JSON \\u escapes, and in another letter case", () => {
  const key = "sk-gw/Qm4+Tz8_Wc2=Rv6.Yb0-Nf3/Hk7+Ls1";
  const hex = (text: string) =>
    Array.from(new TextEncoder().encode(text), (b) => b.toString(16).padStart(2, "0")).join("");
  const everySign = (style: (code: number) => string) =>
    key.replace(/[^A-Za-z0-9]/g, (c) => style(c.charCodeAt(0)));
  const cases = [
    hex(key),
    hex(key).toUpperCase(),
    `0x${hex(key)}`,
    key.replaceAll("/", "&#x2F;"),
    key.replaceAll("/", "&#47;"),
    key.replaceAll("/", "&sol;"),
    everySign((c) => `&#x${c.toString(16)};`),
    everySign((c) => `&#x${c.toString(16).toUpperCase()};`),
    everySign((c) => `&#${c};`),
    everySign((c) => `\\u${c.toString(16).padStart(4, "0")}`),
    everySign((c) => `\\u${c.toString(16).padStart(4, "0").toUpperCase()}`),
    key.toLowerCase(),
    key.toUpperCase(),
    key[0]!.toUpperCase() + key.slice(1),
  ];
  for (const quoted of cases) {
    const out = scrubSecrets(`key: ${quoted} refused`, [key]);
    assert.match(out, /^key: (0x)?\[redacted\] refused$/, `${quoted} -> ${out}`);
  }
  // Half of the hex, and a piece of the key in capitals, are pieces as the key's own are.
  assert.equal(scrubSecrets(`id ${hex(key).slice(0, 40)}`, [key]), "id [redacted]");
  assert.equal(scrubSecrets(`x ${key.slice(4, 24).toUpperCase()} y`, [key]), "x [redacted] y");
  // A short key is found whole in any case too.
  assert.equal(scrubSecrets("bad HUNTER2 key", ["hunter2"]), "bad [redacted] key");
});

Deno.test("words, a key's short pieces and other keys' text are left as they came", () => {
  const keys = [KEY, "sk-team-proxy-0001", "password"];
  const prose = "The model is overloaded: the request could not be processed. " +
    "Retry after 30 seconds, or send a smaller prompt (max_tokens 8192, password policy).";
  assert.equal(scrubSecrets(prose, keys.slice(0, 2)), prose);
  // Shorter than MIN_PIECE: a provider's masked form of the key, or a prefix many keys share.
  const short = KEY.slice(0, MIN_PIECE - 1);
  assert.equal(
    scrubSecrets(`key ${short}****${KEY.slice(-4)}`, keys),
    `key ${short}****${KEY.slice(-4)}`,
  );
  // A short key is matched whole only, its base64 too; no other text is touched.
  assert.equal(
    scrubSecrets(`bad password ${btoa("u:password")}`, keys),
    "bad [redacted] dTp[redacted]A==",
  );
  // At offsets 0, 1 and 2 of the encoded bytes (base64url is the same here).
  assert.deepEqual(encodedForms("abcd1234"), ["YWJjZDEyMz", "FiY2QxMjM0", "hYmNkMTIzN"]);
});

Deno.test("a config's keys are listed once per config", () => {
  const provider = { apiKeys: [KEY], baseUrl: "https://u:secret-pass@x.example", headers: {} };
  const config = { providers: { a: provider } };
  const keys = configuredKeys(config);
  assert.deepEqual([...new Set(keys)], [KEY, "secret-pass"]);
  assert.equal(configuredKeys(config), keys);
});

Deno.test("an error text made of key pieces costs a few steps a character, however many keys", () => {
  // Keys with a long start in common: their windows there share a hash.
  const keys = Array.from({ length: 150 }, (_, i) => `${KEY.slice(0, 20)}${i}`.padEnd(48, "Zk"));
  // 64 KiB of pieces of the last key, each cut short so no whole key is there to find first.
  const text = `${keys.at(-1)!.slice(0, 40)} `.repeat(1600);
  scrubSecrets("warm up", keys);
  const started = performance.now();
  const out = scrubSecrets(text, keys);
  const ms = performance.now() - started;
  assert.equal(out, "[redacted] ".repeat(1600));
  // Checking each piece against every key, or every key sharing its start, took 0.2 to 1.6 s.
  assert.ok(ms < 500, `took ${ms.toFixed(0)} ms`);
});

Deno.test("a provider's short key that is only a word (a placeholder) leaves that word in its text", () => {
  // `api_key: none`, Ollama's documented `ollama`, vLLM's `EMPTY`: no provider issues such a key.
  const secrets = (apiKeys: string[]) => providerSecrets({ apiKeys, baseUrl: "", headers: {} });
  const said = 'tool_choice "none" is not supported; run `ollama pull qwen3`, key EMPTY or dummy';
  assert.equal(scrubSecrets(said, secrets(["none", "ollama", "EMPTY", "dummy"])), said);
  // A short key with a digit or a sign is no word: still taken out.
  assert.equal(
    scrubSecrets("key sk-1234 or hunter2 refused", secrets(["sk-1234", "hunter2"])),
    "key [redacted] or [redacted] refused",
  );
  // A word of 8 letters or more is matched as every key is.
  assert.equal(scrubSecrets("key abcdefghij", secrets(["abcdefghij"])), "key [redacted]");
  // A config file's own secrets (a password in an excerpt of it) are taken out whatever they are.
  assert.equal(scrubSecrets("  password: letmein", ["letmein"]), "  password: [redacted]");
});

Deno.test("a key shorter than 8 characters is found as a token of its own, not inside other text", () => {
  // A local server's short password: quoted back whole, in any letter case, it goes.
  const keys = providerSecrets({ apiKeys: ["abc123", "4242"], baseUrl: "", headers: {} });
  assert.equal(
    scrubSecrets('Invalid API key "abc123" (key=ABC123&v=1), token 4242.', keys),
    'Invalid API key "[redacted]" (key=[redacted]&v=1), token [redacted].',
  );
  // Inside a longer run of letters and digits it is a piece of something else: a port, a count,
  // a word, a model name.
  const said = "port 42420 refused; 14242 tokens; xabc123y; model abc1234-instruct";
  assert.equal(scrubSecrets(said, keys), said);
  // Its encoded forms of 8 characters or more are found as before (base64 of abc123).
  assert.equal(scrubSecrets(`basic ${btoa("abc123")}`, keys), "basic [redacted]");
});

Deno.test("a key too short for two long pieces is found cut in two, and neither half alone", () => {
  // An 8-character key quoted in two fields, and the masked form that shows a 12-character key
  // whole (its first 8 and last 4); a 20-character key in halves of 10.
  const keys = ["Pz4Lw8Rn", "vllmKey-7Tq2", "gw-Qm4Tz8Wc2Rv6Yb0N"];
  assert.equal(
    scrubSecrets('bad key "Pz4L" / "w8Rn"', keys),
    'bad key "[redacted]" / "[redacted]"',
  );
  assert.equal(
    scrubSecrets("Incorrect API key provided: vllmKey-****7tq2", keys),
    "Incorrect API key provided: [redacted]****[redacted]",
  );
  assert.equal(
    scrubSecrets("key gw-Qm4Tz8W then c2Rv6Yb0N", keys),
    "key [redacted] then [redacted]",
  );
  // Pieces that overlap are both taken, the longer first.
  assert.equal(scrubSecrets("Pz4Lw8 ... 4Lw8Rn", keys), "[redacted] ... [redacted]");
  // Half a key, or its two ends with a part between left out, are not the key.
  for (const text of ["starts Pz4L, ends well", "Pz4Lw ... 8Rn", "vllmKey-****7Tq2"]) {
    assert.equal(scrubSecrets(text, keys.slice(0, 1)), text);
  }
  assert.equal(scrubSecrets("vllmKe ... -7Tq2", keys), "vllmKe ... -7Tq2");
});

Deno.test("a short key quoted back masked loses what the mask shows, when it leaves under 4 characters unshown", () => {
  // Three characters of a 4-character key leave 62 keys to try: the pieces beside a mask go.
  const keys = providerSecrets({ apiKeys: ["ab12", "pw-4242"], baseUrl: "", headers: {} });
  const cases: [string, string][] = [
    ["Incorrect API key provided: ab1***", "Incorrect API key provided: [redacted]***"],
    ['{"error":"invalid key ab...12"}', '{"error":"invalid key [redacted]...[redacted]"}'],
    ["key \u2022\u2022\u2022B12 refused", "key \u2022\u2022\u2022[redacted] refused"],
    ["token pw-4***, then ****4242", "token [redacted]***, then ****[redacted]"],
    ["key AB\u2026 refused", "key [redacted]\u2026 refused"],
  ];
  for (const [said, shown] of cases) assert.equal(scrubSecrets(said, keys), shown, said);
  // A piece not beside a mask, one inside a longer word, or a single character is left.
  for (const said of ["ab1 is no mask", "xab1***", "a... or 2", "pw-4 of 4242x", "b1*** ***b1"]) {
    assert.equal(scrubSecrets(said, keys), said, said);
  }
  // A mask that leaves 4 characters or more unshown stays: `pw***` of `pw-4242`.
  assert.equal(scrubSecrets("key pw***", keys), "key pw***");
  // An 8-character key masked to its first 3 and last 4 is as good as shown (62 keys to try); a
  // 12-character key's first 3 and last 4 leave 5 characters, and stay as the upstream wrote them.
  const longer = ["Pz4Lw8Rn", "vllmKey-7Tq2"];
  assert.equal(scrubSecrets("key Pz4***w8Rn", longer), "key [redacted]***[redacted]");
  assert.equal(scrubSecrets("key vll***7Tq2", longer), "key vll***7Tq2");
});

Deno.test("a short password in the base URL or a short credential header is taken out as a short key is", () => {
  const keys = providerSecrets({
    apiKeys: [],
    baseUrl: "http://admin:4321@127.0.0.1:8000/v1?token=9z9z",
    headers: { "x-api-key": "k-77", "x-region": "eu" },
  });
  assert.equal(
    scrubSecrets("bad credentials 4321, token 9z9z, x-api-key k-77 (port 43210)", keys),
    "bad credentials [redacted], token [redacted], x-api-key [redacted] (port 43210)",
  );
  // A short value of letters only (`?auth=true`, a user name) is no secret: words stay.
  const words = providerSecrets({
    apiKeys: [],
    baseUrl: "http://admin:4321@127.0.0.1:8000/v1?auth=true",
    headers: {},
  });
  assert.equal(scrubSecrets("admin: auth is true", words), "admin: auth is true");
});

Deno.test("a short key is found after a JSON escape, as a body quoted inside another shows it", () => {
  const keys = providerSecrets({ apiKeys: ["1234", "ab12"], baseUrl: "", headers: {} });
  // .NET writes a quote as \u0022; a body quoted as a string has its line breaks as \n.
  assert.equal(
    scrubSecrets(String.raw`{"error":"bad key \u00221234\u0022\nab12 and \u0027ab1***"}`, keys),
    String.raw`{"error":"bad key \u0022[redacted]\u0022\n[redacted] and \u0027[redacted]***"}`,
  );
  // Still not inside a longer run: a port, an escape's own digits.
  const said = String.raw`port 12345, \u1234, n1234`;
  assert.equal(scrubSecrets(said, keys), said);
});
