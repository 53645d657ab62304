/**
 * What the C allocator holds, by its own count: glibc's `mallinfo2`, through FFI. The RSS of the
 * C heap cannot tell memory in use from memory freed but kept (free chunks between live ones,
 * which glibc returns only from the top of its heaps); the allocator's count can, so a soak can
 * say whether the C heap's growth is retention or spread. Only where libc is glibc (Linux) and FFI
 * is allowed; elsewhere undefined.
 */

/** The C allocator's count, MB of 10⁶ bytes. */
export interface MallocInfo {
  /** Bytes in chunks handed out and not yet freed (uordblks plus the chunks mapped on their own). */
  inUseMB: number;
  /** Bytes freed but kept in the allocator's heaps for reuse (fordblks). */
  freeMB: number;
}

const SYMBOLS = {
  // Ten size_t fields: arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks,
  // fordblks, keepcost.
  mallinfo2: { parameters: [], result: { struct: Array(10).fill("usize") } },
} as const;

let library: Deno.DynamicLibrary<typeof SYMBOLS> | null | undefined;

function open(): Deno.DynamicLibrary<typeof SYMBOLS> | null {
  if (Deno.build.os !== "linux") return null;
  try {
    return Deno.dlopen("libc.so.6", SYMBOLS);
  } catch {
    return null; // not glibc (musl has no mallinfo2), or FFI not allowed
  }
}

/** The allocator's count now, or undefined where it cannot be read. */
export function mallocInfo(): MallocInfo | undefined {
  library ??= open();
  if (!library) return undefined;
  const raw = library.symbols.mallinfo2() as Uint8Array<ArrayBuffer>;
  const fields = new BigUint64Array(raw.buffer, raw.byteOffset, 10);
  const mb = (i: number) => Number(fields[i]) / 1e6;
  return { inUseMB: mb(7) + mb(4), freeMB: mb(8) };
}
