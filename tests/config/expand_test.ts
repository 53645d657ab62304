import assert from "node:assert/strict";
import { expandString, expandTree } from "../../src/config/expand.ts";

const env = { NIM: "nvapi-1", EMPTY: "", HOST: "0.0.0.0" };

Deno.test("expandString", async (t) => {
  await t.step("replaces ${VAR} anywhere in the string", () => {
    assert.deepEqual(expandString("${NIM}", env), { value: "nvapi-1", unset: [], blank: [] });
    assert.equal(expandString("http://${HOST}:80/${NIM}", env).value, "http://0.0.0.0:80/nvapi-1");
  });
  await t.step("an unset variable without default becomes empty and is reported", () => {
    assert.deepEqual(expandString("a${MISSING}b", env), {
      value: "ab",
      unset: ["MISSING"],
      blank: [],
    });
  });
  await t.step(
    "a set but empty variable stays empty and is reported apart from an unset one",
    () => {
      assert.deepEqual(expandString("${EMPTY}", env), { value: "", unset: [], blank: ["EMPTY"] });
    },
  );
  await t.step("${VAR:-default} uses the default when unset or empty", () => {
    assert.equal(
      expandString("${MISSING:-http://127.0.0.1:11434}", env).value,
      "http://127.0.0.1:11434",
    );
    assert.equal(expandString("${EMPTY:-fallback}", env).value, "fallback");
    assert.equal(expandString("${NIM:-fallback}", env).value, "nvapi-1");
    assert.deepEqual(expandString("${MISSING:-}", env), { value: "", unset: [], blank: [] });
  });
  await t.step("$${ escapes a literal ${", () => {
    assert.equal(expandString("$${NIM}", env).value, "${NIM}");
    assert.equal(expandString("pre $${x} ${NIM}", env).value, "pre ${x} nvapi-1");
  });
  await t.step("other dollars are literal", () => {
    assert.equal(expandString("$NIM $ $$ cost$5", env).value, "$NIM $ $$ cost$5");
  });
  await t.step("malformed references are errors", () => {
    assert.throws(() => expandString("${NIM", env), /without "}"/);
    assert.throws(() => expandString("${1BAD}", env), /is not a variable reference/);
    assert.throws(() => expandString("${}", env), RangeError);
  });
  await t.step("a default is expanded in turn, as a shell does; a value never is", () => {
    // `api_key: ${NEW_KEY:-${OLD_KEY}}` went upstream as the text "${OLD_KEY}".
    assert.deepEqual(expandString("${MISSING:-${NIM}}", env), {
      value: "nvapi-1",
      unset: [],
      blank: [],
    });
    assert.equal(expandString("${NIM:-${MISSING}}", env).value, "nvapi-1");
    assert.deepEqual(expandString("${MISSING:-${ALSO}}x", env), {
      value: "x",
      unset: ["ALSO"],
      blank: [],
    });
    assert.equal(expandString("${MISSING:-${EMPTY:-a}-b}", env).value, "a-b");
    assert.equal(expandString("${MISSING:-$${NIM}}", env).value, "${NIM}");
    assert.equal(expandString("${MISSING:-x}}", env).value, "x}");
    assert.equal(expandString("${V}", { V: "${NIM}" }).value, "${NIM}");
    assert.throws(() => expandString("${MISSING:-${NIM}", env), /without "}"/);
    assert.throws(() => expandString("${MISSING:-${1BAD}}", env), /is not a variable reference/);
  });
});

Deno.test("expandTree expands string values only, never keys, and keeps other scalars", () => {
  const tree = {
    "${NIM}": "${NIM}",
    list: ["${HOST}", 3, true, null],
    nested: { key: "${MISSING}" },
  };
  const out = expandTree(tree, env);
  assert.deepEqual(out.value, {
    "${NIM}": "nvapi-1",
    list: ["0.0.0.0", 3, true, null],
    nested: { key: "" },
  });
  assert.deepEqual(out.unset, [{ path: ["nested", "key"], name: "MISSING" }]);
  assert.deepEqual(out.problems, []);
  // The input is not mutated.
  assert.equal(tree.nested.key, "${MISSING}");
});

Deno.test("expandTree reports malformed references with their key path", () => {
  const out = expandTree({ providers: { nim: { api_keys: ["ok", "${BROKEN"] } } }, env);
  assert.equal(out.problems.length, 1);
  assert.deepEqual(out.problems[0]?.path, ["providers", "nim", "api_keys", 1]);
});
