/** Raw socket reading for tests that speak HTTP/1.1 to the server byte by byte. */

const decoder = new TextDecoder();

/** Reads until the server closes the connection (bounded); returns what it sent. */
export async function readToClose(
  conn: Deno.Conn,
  ms = 3000,
): Promise<{ text: string; closed: boolean }> {
  const buffer = new Uint8Array(65536);
  let text = "";
  const deadline = performance.now() + ms;
  for (;;) {
    const left = deadline - performance.now();
    if (left <= 0) return { text, closed: false };
    const n = await Promise.race([
      conn.read(buffer).catch(() => null),
      new Promise<"timeout">((r) => setTimeout(() => r("timeout"), left)),
    ]);
    if (n === "timeout") return { text, closed: false };
    if (n === null) return { text, closed: true };
    text += decoder.decode(buffer.subarray(0, n));
  }
}
