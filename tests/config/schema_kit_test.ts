/** The config schema kit on its own: issue paths, every issue in one run, unknown keys, absences. */

import assert from "node:assert/strict";
import {
  anything,
  custom,
  field,
  type Issue,
  list,
  parse,
  record,
  Rejection,
  section,
} from "../../src/config/schema/kit.ts";

const word = field((v) => typeof v === "string" ? v : new Rejection(`not a word: ${String(v)}`));
const count = field((v) => typeof v === "number" ? v : new Rejection("not a count"));

const server = section({ name: word, port: count.optional() });
const file = section({
  servers: record(server).optional(),
  order: list(word).optional(),
  extra: record(anything()).optional(),
});

function issuesOf(value: unknown): Issue[] {
  const result = parse(file, value);
  assert.equal(result.ok, false, "expected issues");
  return result.ok ? [] : result.issues;
}

Deno.test("a valid tree converts, optional keys left out stay out of the output", () => {
  const result = parse(file, { servers: { a: { name: "x" } }, extra: { k: null } });
  assert.deepEqual(result, {
    ok: true,
    value: { servers: { a: { name: "x" } }, extra: { k: null } },
  });
  assert.ok(result.ok && !("port" in result.value.servers!.a!), "absent port is not a key");
  assert.ok(result.ok && !("order" in result.value), "absent order is not a key");
});

Deno.test("issues are reported at their full key path, through records and lists", () => {
  assert.deepEqual(issuesOf({ servers: { "a.b": { name: 1 } }, order: ["x", 2] }), [
    { path: ["servers", "a.b", "name"], message: "not a word: 1" },
    { path: ["order", 1], message: "not a word: 2" },
  ]);
});

Deno.test("every problem of the tree comes back from one run, in key order", () => {
  const issues = issuesOf({
    order: "x",
    servers: { a: { name: 1, port: "p" }, b: [], c: { name: "ok", prot: 1, colour: 2 } },
    extra: [],
  });
  assert.deepEqual(issues.map((i) => [i.path.join("/"), i.message]), [
    ["servers/a/name", "not a word: 1"],
    ["servers/a/port", "not a count"],
    ["servers/b", "expected a mapping, got a list"],
    ["servers/c/prot", 'unknown key (did you mean "port"?)'],
    ["servers/c/colour", "unknown key (known keys: name, port)"],
    ["order", 'expected a list, got "x"'],
    ["extra", "expected a mapping, got a list"],
  ]);
});

Deno.test("a required key left out is reported by its converter as missing", () => {
  assert.deepEqual(issuesOf({ servers: { a: {} } }), [
    { path: ["servers", "a", "name"], message: "not a word: undefined" },
  ]);
  assert.deepEqual(issuesOf({ servers: { a: null } }), [
    { path: ["servers", "a"], message: "expected a mapping, got nothing" },
  ]);
});

Deno.test("a rejection may point inside its value, and a custom reader's issues are nested", () => {
  const pair = field((v) =>
    Array.isArray(v) && v.length === 2
      ? v
      : new Rejection("needs two", [Array.isArray(v) ? 0 : "x"])
  );
  const evens = custom((v, issues: Issue[]) => {
    const items = Array.isArray(v) ? v : [];
    items.forEach((n, i) => {
      if (n % 2 !== 0) issues.push({ path: [i], message: `${n} is odd` });
    });
    return items as number[];
  });
  const schema = section({ pair, evens });
  assert.deepEqual(parse(schema, { pair: [1], evens: [2, 3, 4, 5] }), {
    ok: false,
    issues: [
      { path: ["pair", 0], message: "needs two" },
      { path: ["evens", 1], message: "3 is odd" },
      { path: ["evens", 3], message: "5 is odd" },
    ],
  });
  assert.deepEqual(parse(schema, { pair: [1, 2], evens: [2] }), {
    ok: true,
    value: { pair: [1, 2], evens: [2] },
  });
});

Deno.test("a record takes only plain mappings; a section any mapping but a list", () => {
  // A YAML 1.1 tag may give a Map or a Set: not a mapping of settings.
  assert.equal(parse(record(anything()), new Map([["a", 1]])).ok, false);
  assert.deepEqual(parse(record(anything()), Object.create(null)), { ok: true, value: {} });
  assert.deepEqual(parse(server, "x"), {
    ok: false,
    issues: [{ path: [], message: 'expected a mapping, got "x"' }],
  });
  assert.deepEqual(parse(list(word), {}), {
    ok: false,
    issues: [{ path: [], message: "expected a list, got a mapping" }],
  });
});
