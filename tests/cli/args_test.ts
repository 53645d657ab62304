import assert from "node:assert/strict";
import { type Command, parseCli } from "../../src/cli/args.ts";

const CASES: ReadonlyArray<readonly [string, readonly string[], Command]> = [
  ["no arguments serve", [], { cmd: "serve", flags: {} }],
  ["serve", ["serve"], { cmd: "serve", flags: {} }],
  ["flags without a command serve", ["--port", "9000"], { cmd: "serve", flags: { port: 9000 } }],
  ["flags before the command", ["--port=0", "check"], { cmd: "check", flags: { port: 0 } }],
  // `deno task start -- --port 9000` (the npm habit) hands ccp a leading `--`.
  ["a leading -- is skipped", ["--", "--port", "9000"], { cmd: "serve", flags: { port: 9000 } }],
  ["a leading -- before a command", ["--", "code", "-p", "hi"], {
    cmd: "code",
    flags: {},
    claudeArgs: ["-p", "hi"],
  }],
  [
    "every common flag",
    ["serve", "--config", "a.yaml", "--host", "0.0.0.0", "--port", "8083", "--log-level", "DEBUG"],
    { cmd: "serve", flags: { config: "a.yaml", host: "0.0.0.0", port: 8083, logLevel: "debug" } },
  ],
  ["init", ["init"], { cmd: "init", flags: {} }],
  ["init --from ccr", ["init", "--from", "ccr"], { cmd: "init", flags: {}, from: { peer: "ccr" } }],
  ["init --from litellm", ["init", "--from", "LiteLLM", "--from-file", "c.yaml"], {
    cmd: "init",
    flags: {},
    from: { peer: "litellm", file: "c.yaml" },
  }],
  ["init --from=CCR --from-file", ["init", "--from=CCR", "--from-file", "c.json"], {
    cmd: "init",
    flags: {},
    from: { peer: "ccr", file: "c.json" },
  }],
  ["init --config", ["init", "--config", "x/c.yaml"], {
    cmd: "init",
    flags: { config: "x/c.yaml" },
  }],
  ["check", ["check", "--config=c.yaml"], { cmd: "check", flags: { config: "c.yaml" } }],
  ["models", ["models"], { cmd: "models", flags: {} }],
  ["code alone", ["code"], { cmd: "code", flags: {}, claudeArgs: [] }],
  [
    "code passes unknown arguments to claude",
    ["code", "-p", "hi there", "--model", "opus", "--verbose"],
    { cmd: "code", flags: {}, claudeArgs: ["-p", "hi there", "--model", "opus", "--verbose"] },
  ],
  [
    "code keeps ccp's flags wherever they are",
    ["--log-level", "warn", "code", "-p", "x", "--port", "8090", "--config=c.yaml", "--resume"],
    {
      cmd: "code",
      flags: { logLevel: "warn", port: 8090, config: "c.yaml" },
      claudeArgs: ["-p", "x", "--resume"],
    },
  ],
  [
    "code: everything after -- goes to claude",
    ["code", "--host", "::1", "--", "--port", "1", "--help"],
    { cmd: "code", flags: { host: "::1" }, claudeArgs: ["--port", "1", "--help"] },
  ],
  [
    "code: claude's bundled switches reach it whole",
    ["code", "-pc", "fix it", "--port", "8090", "-cp"],
    { cmd: "code", flags: { port: 8090 }, claudeArgs: ["-pc", "fix it", "-cp"] },
  ],
  ["code --help is ccp's", ["code", "--help"], { cmd: "help", topic: "code" }],
  ["code --version goes to claude", ["code", "--version"], {
    cmd: "code",
    flags: {},
    claudeArgs: ["--version"],
  }],
  ["service install", ["service", "install", "--port", "8084"], {
    cmd: "service",
    action: "install",
    flags: { port: 8084 },
    system: false,
    dryRun: false,
  }],
  ["service install --system --dry-run -- serve flags", [
    "service",
    "install",
    "--system",
    "--dry-run",
    "--",
    "--port",
    "9000",
    "--log-level",
    "debug",
  ], {
    cmd: "service",
    action: "install",
    flags: { port: 9000, logLevel: "debug" },
    system: true,
    dryRun: true,
  }],
  ["service uninstall", ["service", "uninstall"], {
    cmd: "service",
    action: "uninstall",
    flags: {},
    system: false,
    dryRun: false,
  }],
  ["service status", ["service", "status"], {
    cmd: "service",
    action: "status",
    flags: {},
    system: false,
    dryRun: false,
  }],
  ["settings install", ["settings", "install", "--port", "8084"], {
    cmd: "settings",
    action: "install",
    flags: { port: 8084 },
    project: false,
    dryRun: false,
  }],
  ["settings uninstall --project --dry-run", ["settings", "uninstall", "--project", "--dry-run"], {
    cmd: "settings",
    action: "uninstall",
    flags: {},
    project: true,
    dryRun: true,
  }],
  ["settings status", ["settings", "status"], {
    cmd: "settings",
    action: "status",
    flags: {},
    project: false,
    dryRun: false,
  }],
  ["--version", ["--version"], { cmd: "version" }],
  ["-V", ["-V"], { cmd: "version" }],
  ["--version after a command", ["check", "-V"], { cmd: "version" }],
  ["--help", ["--help"], { cmd: "help" }],
  ["-h", ["-h"], { cmd: "help" }],
  ["help", ["help"], { cmd: "help" }],
  ["help wins over version", ["-V", "-h"], { cmd: "help" }],
  ["help <cmd>", ["help", "init"], { cmd: "help", topic: "init" }],
  ["<cmd> --help", ["models", "--help"], { cmd: "help", topic: "models" }],
  ["<cmd> -h with flags", ["service", "install", "-h"], { cmd: "help", topic: "service" }],
  ["help --help", ["help", "--help"], { cmd: "help" }],
  ["help <cmd> --help", ["help", "check", "--help"], { cmd: "help", topic: "check" }],
];

Deno.test("parseCli: commands and flags", async (t) => {
  for (const [name, argv, expected] of CASES) {
    await t.step(name, () => assert.deepEqual(parseCli(argv), expected));
  }
});

const ERRORS: ReadonlyArray<readonly [readonly string[], RegExp, string | undefined]> = [
  [["bogus"], /^unknown command "bogus"$/, undefined],
  [["--bogus"], /^unknown option --bogus$/, undefined],
  [["serve", "--bogus"], /^unknown option --bogus$/, "serve"],
  [["check", "-x"], /^unknown option -x$/, "check"],
  [["--force", "init"], /^unknown option --force$/, "init"],
  [
    ["init", "--from", "portkey"],
    /^--from: expected ccr, litellm, cliproxyapi, anthropic-proxy, got "portkey"$/,
    "init",
  ],
  [
    ["init", "--from-file", "c.json"],
    /^--from-file needs --from ccr, litellm, cliproxyapi, anthropic-proxy/,
    "init",
  ],
  [["init", "--from", "ccr", "--from-file="], /^--from-file needs a value$/, "init"],
  [["check", "--from", "ccr"], /^--from is an option of "ccp init"$/, "check"],
  [["serve", "--port"], /^--port needs a value$/, "serve"],
  [["serve", "--port", "-1"], /^--port needs a value/, "serve"],
  [["serve", "--port", "65536"], /expected an integer from 0 to 65535, got "65536"/, "serve"],
  [["serve", "--port", "80a"], /expected an integer from 0 to 65535/, "serve"],
  [["serve", "--port", "1.5"], /expected an integer from 0 to 65535/, "serve"],
  [["serve", "--log-level", "verbose"], /expected debug, info, warn or error/, "serve"],
  [["serve", "--log-level", "toString"], /expected debug, info, warn or error/, "serve"],
  [["serve", "--config", ""], /^--config needs a value$/, "serve"],
  [["serve", "--host="], /^--host needs a value$/, "serve"],
  [["serve", "--help=yes"], /^--help does not take a value$/, "serve"],
  [["serve", "extra"], /^unexpected argument "extra"$/, "serve"],
  [["models", "x"], /^unexpected argument "x"$/, "models"],
  [["service"], /needs an action: install, uninstall or status/, "service"],
  [["service", "start"], /unknown service action "start"/, "service"],
  [["service", "status", "now"], /unexpected argument "now"/, "service"],
  [["settings"], /needs an action: install, uninstall or status/, "settings"],
  [["settings", "add"], /unknown settings action "add"/, "settings"],
  [["settings", "status", "now"], /unexpected argument "now"/, "settings"],
  [["settings", "install", "--system"], /^--system is an option of "ccp service"$/, "settings"],
  [["check", "--project"], /^--project is an option of "ccp settings"$/, "check"],
  [["check", "--dry-run"], /^--dry-run is an option of "ccp service" and "ccp settings"$/, "check"],
  [["help", "bogus"], /no help for unknown command "bogus"/, "help"],
  [["bogus", "--help"], /^unknown command "bogus"$/, undefined],
  // A typo gets the command or option it was close to.
  [["serv"], /^unknown command "serv"; did you mean "serve"\?$/, undefined],
  [["chek", "--port", "1"], /^unknown command "chek"; did you mean "check"\?$/, undefined],
  [["serve", "--prot", "9000"], /^unknown option --prot; did you mean --port\?$/, "serve"],
  [
    ["check", "--log-levle", "debug"],
    /^unknown option --log-levle; did you mean --log-level\?$/,
    "check",
  ],
  [["code", "--port"], /^--port needs a value$/, "code"],
  [["code", "--port", "x"], /expected an integer/, "code"],
];

Deno.test("parseCli: usage errors", async (t) => {
  for (const [argv, message, topic] of ERRORS) {
    await t.step(argv.join(" "), () => {
      const result = parseCli(argv);
      assert.equal(result.cmd, "usage_error", JSON.stringify(result));
      if (result.cmd !== "usage_error") return;
      assert.match(result.message, message);
      assert.equal(result.topic, topic);
    });
  }
});
