/**
 * Resolves after the event loop has run once: I/O that was started (a fetch's request) goes out
 * before the code after the `await` runs. A timer does this too but costs ~2 ms in Deno (a
 * `setTimeout(..., 0)` measured 2.1-2.6 ms); a message through a MessageChannel arrives on the next
 * turn, in ~0.1 ms. Microtasks and `setImmediate` run before the loop polls I/O, so they do not.
 */
export function nextEventLoopTurn(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      channel.port2.close();
      resolve();
    };
    channel.port2.postMessage(undefined);
  });
}
