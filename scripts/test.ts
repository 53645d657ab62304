/**
 * `deno task test`: the tests, four files at a time, and their type check at the same time.
 *
 * `deno test` alone type-checks every test file before it runs the first one, in one compiler
 * process on one core: on a clean clone that is some 20 s with the other core idle. Here the
 * check runs beside the tests instead, and either one failing fails the task; its errors are
 * printed after the tests' report. `--no-check` leaves the check out (`deno task ci` has just run
 * `deno task check`, which covers tests/ too); other arguments replace `tests/` (files or
 * folders, or `deno test` flags such as `--filter`). DENO_JOBS, when set, replaces the 4.
 */

const LOCK = ["--lock=dev.lock", "--frozen"];
const args = Deno.args.filter((a) => a !== "--no-check");
const checking = args.length === Deno.args.length;
/** Whether `arg` names a file or folder (a flag's value, as in `--filter name`, does not). */
function isPath(arg: string): boolean {
  try {
    return !arg.startsWith("-") && (Deno.statSync(arg), true);
  } catch {
    return false;
  }
}
const paths = args.filter(isPath);
const encoder = new TextEncoder();
/** Writes all of `bytes` to stderr (one write to a pipe may take only part). */
function toStderr(bytes: Uint8Array): void {
  for (let at = 0; at < bytes.length;) at += Deno.stderr.writeSync(bytes.subarray(at));
}

const check = checking
  ? new Deno.Command(Deno.execPath(), {
    args: ["check", ...LOCK, "--quiet", ...(paths.length > 0 ? paths : ["tests/"])],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output()
  : undefined;
const test = new Deno.Command(Deno.execPath(), {
  args: [
    "test",
    "--parallel",
    "--no-check",
    ...LOCK,
    "--allow-net",
    "--allow-read",
    "--allow-write",
    "--allow-env",
    "--allow-run",
    "--allow-sys",
    ...(paths.length > 0 ? args : [...args, "tests/"]),
  ],
  env: { DENO_JOBS: Deno.env.get("DENO_JOBS") ?? "4" },
  stdin: "inherit",
  stdout: "inherit",
  stderr: "inherit",
}).spawn();

const [tested, checked] = await Promise.all([test.status, check]);
if (checked && !checked.success) {
  toStderr(checked.stdout);
  toStderr(checked.stderr);
  toStderr(encoder.encode("the type check failed (deno check above)\n"));
}
Deno.exit(checked && !checked.success ? 1 : tested.code);
