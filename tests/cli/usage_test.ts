import assert from "node:assert/strict";
import { COMMANDS } from "../../src/cli/args.ts";
import { helpText, usageErrorText } from "../../src/cli/usage.ts";
import { VERSION } from "../../src/version.ts";

Deno.test("main help lists every command, flag, CCP_* variable and the search path", () => {
  const text = helpText();
  assert.ok(text.includes(VERSION));
  for (const command of COMMANDS) assert.match(text, new RegExp(`^  ${command}\\b`, "m"), command);
  for (
    const flag of [
      "--config FILE",
      "--host H",
      "--port N",
      "--log-level",
      "-h, --help",
      "-V, --version",
    ]
  ) {
    assert.ok(text.includes(flag), flag);
  }
  for (const name of ["CCP_CONFIG", "CCP_HOST", "CCP_PORT", "CCP_LOG_LEVEL", "CCP_AUTH_TOKEN"]) {
    assert.ok(text.includes(name), name);
  }
  assert.ok(text.includes("./ccp.yaml, $XDG_CONFIG_HOME/ccp/config.yaml"));
  assert.ok(text.includes("~/.config/ccp/config.yaml"));
  assert.ok(
    text.includes("ANTHROPIC_BASE_URL=http://127.0.0.1:8082 ANTHROPIC_AUTH_TOKEN=<token> claude"),
  );
  assert.match(text, /2 usage error/);
});

Deno.test("help says .env is read from the config dir and beside the config file in use", () => {
  // `--config /etc/ccp/x.yaml` reads /etc/ccp/.env, and ~/.config/ccp/.env (where `ccp init`
  // writes the keys) whichever file is in use.
  const text = helpText().replaceAll(/\s+/g, " ");
  assert.match(
    text,
    /\.env files are read from the config dir, the config file's directory and the working directory/,
  );
});

Deno.test("every command has its own help page starting with its usage line", () => {
  for (const command of COMMANDS) {
    const text = helpText(command);
    assert.match(text, new RegExp(`^Usage: ccp (\\[)?${command}`), command);
    for (const line of text.split("\n")) assert.ok(line.length <= 100, `${command}: ${line}`);
  }
});

Deno.test("help prose is wrapped as paragraphs: no sentence breaks off early", () => {
  // A short line followed by one that goes on in lower case is a sentence cut by a stray break
  // ("When nothing" / "answers GET /health ...").
  for (const command of [undefined, ...COMMANDS]) {
    const lines = helpText(command).split("\n");
    lines.forEach((line, i) => {
      const next = lines[i + 1] ?? "";
      const early = line !== "" && !line.startsWith(" ") && !line.endsWith(":") &&
        line.length < 60 && /^[a-z]/.test(next);
      assert.ok(!early, `${command}: "${line}" / "${next}"`);
    });
  }
});

Deno.test("Examples hold command lines only", () => {
  for (const command of [undefined, ...COMMANDS]) {
    const examples = helpText(command).split(/^Examples:\n/m)[1]?.split("\n\n")[0];
    for (const line of examples?.split("\n") ?? []) {
      assert.match(line, /^ {2}(ccp |[A-Z_]+=)/, `${command}: ${line}`);
    }
  }
});

Deno.test("a page that points at the config file search below shows it", () => {
  for (const command of [undefined, ...COMMANDS]) {
    const text = helpText(command);
    if (text.includes("the search below")) {
      assert.match(text, /the search below[^]*Config file search/, String(command));
    } else if (text.includes("--config FILE      config file")) {
      assert.match(text, /\(default: the search in ccp --help\)/, String(command));
    }
  }
});

Deno.test("command pages say what each command promises", () => {
  assert.match(helpText("init"), /never overwritten/);
  assert.match(helpText("code"), /npm install -g @anthropic-ai\/claude-code/);
  assert.match(helpText("code"), /ANTHROPIC_API_KEY and CLAUDE_CODE_USE_BEDROCK[^]*are removed/);
  assert.match(helpText("service"), /systemd/);
  assert.match(helpText("service"), /launchd/);
  assert.match(helpText("serve"), /SIGHUP/);
  assert.match(helpText("check"), /redacted/);
});

Deno.test("a usage error shows the message, the usage line and where the help is, not the whole page", () => {
  assert.equal(
    usageErrorText("unknown option --x", "check"),
    'ccp: unknown option --x\n\nUsage: ccp check [flags]\nRun "ccp check --help" for the flags and examples.',
  );
  assert.equal(
    usageErrorText('unknown command "x"'),
    'ccp: unknown command "x"\n\nUsage: ccp [command] [flags]\n' +
      "Commands: serve, init, check, models, health, usage, statusline, code, service, settings, help\n" +
      'Run "ccp --help" for the flags and examples.',
  );
  assert.equal(
    usageErrorText("x", "usage"),
    "ccp: x\n\nUsage: ccp usage [--since 24h|7d|30d|today|week|month|YYYY-MM-DD] [--by GROUP] [--json] [flags]\n" +
      'Run "ccp usage --help" for the flags and examples.',
  );
});
