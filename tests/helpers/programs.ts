/** Whether the machine has the programs a test needs: such a test is skipped where one is missing. */

/** True when `program` runs with `args` and exits 0; false when it fails or is not installed. */
export async function runs(program: string, args: readonly string[]): Promise<boolean> {
  try {
    const out = await new Deno.Command(program, { args: [...args], stdout: "null", stderr: "null" })
      .output();
    return out.success;
  } catch {
    return false;
  }
}
