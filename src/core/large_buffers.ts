/**
 * Lets buffers of a large request's size be reused from one turn to the next.
 *
 * The GNU C library's allocator gives every block above a threshold fresh memory from the
 * system and returns it to the system when freed, and it raises that threshold to the size of
 * the largest such block freed so far. A Claude Code session's body grows a little every turn,
 * so each turn's body-sized buffers (the runtime copies a request body on its way to the
 * upstream) were always just above it: freshly mapped, each of their pages faulting on first
 * touch. On the development VM an 800 KB passthrough turn took ~370 such faults (~13 µs each),
 * ~5 ms of its ~10 ms. Freeing one large block at start raises the threshold past any body ccp
 * takes in a session, so those buffers come from memory the allocator keeps and reuses. Other
 * allocators (macOS, Windows, musl) ignore this; the block is never touched, so it costs no
 * memory there either.
 */

/** Blocks up to this size are then reused; the allocator returns free memory above twice it. */
export const REUSED_BLOCK_BYTES = 8 * 1024 * 1024;

/** Allocates and at once frees a block of {@link REUSED_BLOCK_BYTES} (~0.4 ms, no page touched). */
export function keepLargeBlocksForReuse(): void {
  // transfer(0) frees the old backing store right away, where a dropped buffer would wait for a
  // collection; zeroed memory fresh from the system is never written, so no page is touched.
  new ArrayBuffer(REUSED_BLOCK_BYTES).transfer(0);
}
