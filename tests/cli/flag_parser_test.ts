import assert from "node:assert/strict";
import { type FlagSpec, parseFlags, UsageError } from "../../src/cli/flag_parser.ts";

const SPECS: Record<string, FlagSpec> = {
  port: { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "V" },
};

Deno.test("parseFlags: values, switches, aliases and plain arguments", () => {
  assert.deepEqual(
    parseFlags(["serve", "--port", "1", "-hV", "x", "--port=2", "-", "--", "--help", "-z"], SPECS),
    {
      values: { port: "2", help: true, version: true },
      positionals: ["serve", "x", "-", "--help", "-z"],
    },
  );
  assert.deepEqual(parseFlags(["--port="], SPECS), { values: { port: "" }, positionals: [] });
  assert.deepEqual(parseFlags(["--port", "-"], SPECS), { values: { port: "-" }, positionals: [] });
});

Deno.test("parseFlags: each refused command line names its problem", async (t) => {
  const cases: ReadonlyArray<readonly [readonly string[], string]> = [
    [["--bogus"], "unknown option --bogus"],
    [["--bogus=1"], "unknown option --bogus"],
    [["--constructor"], "unknown option --constructor"],
    [["-x"], "unknown option -x"],
    [["-hx"], "unknown option -x"],
    [["--port"], "--port needs a value"],
    [["--port", "-1"], '--port needs a value (write --port=VALUE for a value starting with "-")'],
    [["--help=yes"], "--help does not take a value"],
  ];
  for (const [args, message] of cases) {
    await t.step(args.join(" "), () => {
      assert.throws(() => parseFlags(args, SPECS), (err) => {
        assert.ok(err instanceof UsageError);
        assert.equal(err.message, message);
        return true;
      });
    });
  }
});
