/** Raw socket reading for tests that speak HTTP/1.1 to the server byte by byte. */

const decoder = new TextDecoder();

/**
 * Reads until the server closes the connection, or until what it sent satisfies `enough` (bounded,
 * by default only against a hang: a loaded machine took the server's 400 past 3 s); returns what
 * it sent.
 */
export async function readToClose(
  conn: Deno.Conn,
  ms = 30_000,
  enough: (text: string) => boolean = () => false,
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
    if (enough(text)) return { text, closed: false };
  }
}
