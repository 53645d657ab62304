/** Server-sent-event framing for the Anthropic stream ccp writes. */

/** Formats one SSE event as text: `event: <name>\ndata: <json>\n\n`. */
export function sseFrame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** Response headers for an SSE answer; `X-Accel-Buffering` stops nginx-style proxies buffering. */
export const SSE_HEADERS: Readonly<Record<string, string>> = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
  "x-accel-buffering": "no",
};
