/** The connection guard's reading of a request head: what reaches ccp's HTTP server. */

import assert from "node:assert/strict";
import { inspectHead } from "../../src/server/guard_head.ts";
import { many, READ_HEADS, REFUSED_HEADS } from "./_request_heads.ts";

const latin1 = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));
const text = (bytes: Uint8Array) => String.fromCharCode(...bytes);

function forwarded(head: string): { bytes: string; bodyLength: number | "unknown" } {
  const result = inspectHead(latin1(head), "10.0.0.7:5000#3", 1 << 20);
  assert.ok(result.ok, "the head is accepted");
  return { bytes: text(result.bytes), bodyLength: result.bodyLength };
}

Deno.test("a head goes on byte for byte, with the peer header before the blank line", () => {
  const head = "POST /v1/messages HTTP/1.1\r\nhost: ccp\r\ncontent-length: 12\r\n\r\n";
  assert.deepEqual(forwarded(head), {
    bytes: "POST /v1/messages HTTP/1.1\r\nhost: ccp\r\ncontent-length: 12\r\n" +
      "x-ccp-peer: 10.0.0.7:5000#3\r\n\r\n",
    bodyLength: 12,
  });
  assert.deepEqual(forwarded("GET / HTTP/1.1\r\n\r\n"), {
    bytes: "GET / HTTP/1.1\r\nx-ccp-peer: 10.0.0.7:5000#3\r\n\r\n",
    bodyLength: 0,
  });
  // Bytes past ASCII (é, C1 controls, ÿ) pass unchanged.
  const odd = "GET / HTTP/1.1\r\nx-name: caf\xe9 \x80\x9f\xff\r\n\r\n";
  assert.equal(
    forwarded(odd).bytes,
    "GET / HTTP/1.1\r\nx-name: caf\xe9 \x80\x9f\xff\r\nx-ccp-peer: 10.0.0.7:5000#3\r\n\r\n",
  );
});

Deno.test("a peer header from the client is dropped; a chunked body closes the connection", () => {
  const spoofed = "GET / HTTP/1.1\r\nX-CCP-Peer: 1.2.3.4:1#1\r\nx-name: \xe9\r\n\r\n";
  assert.equal(
    forwarded(spoofed).bytes,
    "GET / HTTP/1.1\r\nx-name: \xe9\r\nx-ccp-peer: 10.0.0.7:5000#3\r\n\r\n",
  );
  const chunked = "POST / HTTP/1.1\r\nconnection: keep-alive\r\ntransfer-encoding: chunked\r\n\r\n";
  assert.deepEqual(forwarded(chunked), {
    bytes: "POST / HTTP/1.1\r\ntransfer-encoding: chunked\r\nconnection: close\r\n" +
      "x-ccp-peer: 10.0.0.7:5000#3\r\n\r\n",
    bodyLength: "unknown",
  });
});

Deno.test("the headers that frame a body are found in any case; conflicts are refused", () => {
  const upper = "POST / HTTP/1.1\r\nHost: x\r\nCONTENT-LENGTH: 7\r\nX-Other: 1\r\n\r\n";
  assert.equal(forwarded(upper).bodyLength, 7);
  const refused = (head: string) => {
    const result = inspectHead(latin1(head), "p:1#1", 1 << 20);
    assert.ok(!result.ok);
    return `${result.status} ${result.message}`;
  };
  assert.equal(
    refused("POST / HTTP/1.1\r\nContent-Length: 7\r\ncontent-length: 8\r\n\r\n"),
    "400 Conflicting Content-Length headers",
  );
  assert.equal(
    refused("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 8\r\n\r\n"),
    "400 Content-Length and Transfer-Encoding together are not allowed",
  );
});

Deno.test("names that start and run as long as the framing ones are passed over, not read", () => {
  // x-stainless-os is as long as content-length, x-ccp-pear as x-ccp-peer, hast as host: the
  // framing headers are still found beside them, and these are left as they are.
  const head = "POST / HTTP/1.1\r\nHost: x\r\nx-stainless-os: 9\r\nx-ccp-pear: 1\r\nhast: 2\r\n" +
    "Content-Length: 5\r\nconnectiom: close\r\ntransfer-encodinG: chunked\r\n\r\n";
  const result = inspectHead(latin1(head), "p:1#1", 1 << 20);
  assert.ok(!result.ok, "Content-Length and Transfer-Encoding both found");
  const kept = "POST / HTTP/1.1\r\nHost: x\r\nx-stainless-os: 9\r\nx-ccp-pear: 1\r\nhast: 2\r\n" +
    "X-Ccp-Peer: 1\r\nContent-Length: 5\r\nconnectiom: x\r\n\r\n";
  assert.deepEqual(forwarded(kept), {
    bytes: "POST / HTTP/1.1\r\nHost: x\r\nx-stainless-os: 9\r\nx-ccp-pear: 1\r\nhast: 2\r\n" +
      "Content-Length: 5\r\nconnectiom: x\r\nx-ccp-peer: 10.0.0.7:5000#3\r\n\r\n",
    bodyLength: 5,
  });
});

Deno.test("a body over the limit is left behind: the server gets the head and refuses it", () => {
  // The server answers the 413, so it is logged and recorded like a chunked body over the limit.
  const head = "POST /v1/messages HTTP/1.1\r\nhost: x\r\nContent-Length: 2000000\r\n" +
    "connection: keep-alive\r\nx-ccp-body-too-large: 1\r\n\r\n";
  const result = inspectHead(latin1(head), "10.0.0.7:5000#3", 1 << 20);
  assert.ok(result.ok);
  assert.equal(result.dropBody, true);
  assert.equal(result.bodyLength, 0);
  assert.equal(
    text(result.bytes),
    "POST /v1/messages HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n" +
      "x-ccp-body-too-large: 2000000\r\nconnection: close\r\nx-ccp-peer: 10.0.0.7:5000#3\r\n\r\n",
  );
  // A client's own such header is dropped from a body within the limit.
  assert.equal(
    forwarded("POST / HTTP/1.1\r\ncontent-length: 2\r\nX-CCP-Body-Too-Large: 9\r\n\r\n").bytes,
    "POST / HTTP/1.1\r\ncontent-length: 2\r\nx-ccp-peer: 10.0.0.7:5000#3\r\n\r\n",
  );
});

Deno.test("a head with a line ended by a bare LF is refused (the server would read it otherwise)", () => {
  for (
    const head of [
      "POST / HTTP/1.1\r\nx-a: b\ncontent-length: 5\r\n\r\n",
      "GET / HTTP/1.1\r\nx-a: b\nx-ccp-peer: 6.6.6.6:1#1\r\n\r\n",
      "GET / HTTP/1.1\nhost: x\r\n\r\n",
      // Bytes past ASCII: the head is read a character at a time, and searched all the same.
      "GET / HTTP/1.1\r\nx-a: caf\xe9\nx-ccp-peer: 6.6.6.6:1#1\r\n\r\n",
      "GET / HTTP/1.1\r\nx-a: b\nx-b: \xff\r\n\r\n",
    ]
  ) {
    const result = inspectHead(latin1(head), "p:1#1", 1 << 20);
    assert.ok(!result.ok, JSON.stringify(head));
    assert.equal(result.status, 400);
    assert.equal(result.message, "Request head has a line that ends in LF without CR");
  }
});

Deno.test("a head the HTTP server would answer with an empty 400 is refused, naming its fault", () => {
  for (const { head, fault } of REFUSED_HEADS) {
    const result = inspectHead(latin1(head), "p:1#1", 1 << 20);
    assert.ok(!result.ok, `refused: ${JSON.stringify(head).slice(0, 100)}`);
    assert.equal(result.status, 400);
    assert.equal(result.type, "invalid_request_error");
    assert.ok(result.message.startsWith(fault), `${JSON.stringify(head)}: ${result.message}`);
  }
  for (const { head } of READ_HEADS) {
    const result = inspectHead(latin1(head), "p:1#1", 1 << 20);
    assert.ok(result.ok, `${JSON.stringify(head).slice(0, 100)}: ${!result.ok && result.message}`);
  }
});

Deno.test("a client may send 125 header lines: the guard adds up to three to the server's 128", () => {
  const lines = (n: number) => `POST / HTTP/1.1\r\n${many(n)}content-length: 9000000\r\n\r\n`;
  // A body over the limit: the declared size, `connection: close` and the peer header join.
  const over = inspectHead(latin1(lines(124)), "p:1#1", 1 << 20);
  assert.ok(over.ok && over.dropBody);
  assert.equal(text(over.bytes).split("\r\n").length - 3, 128, "header lines the server gets");
  const refused = inspectHead(latin1(lines(125)), "p:1#1", 1 << 20);
  assert.ok(!refused.ok);
  assert.equal(refused.message, "Request head has 126 header lines; ccp takes at most 125");
});
