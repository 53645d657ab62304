/**
 * Request heads Deno's HTTP server reads, and heads it answers with an empty 400, each with the
 * fault the connection guard names in its place. Shared by the guard's unit test and the test
 * that sends each head to a real server.
 */

/** `n` header lines. */
export const many = (n: number): string =>
  Array.from({ length: n }, (_, i) => `x-h${i}: v\r\n`).join("");

/** A head the server refuses, and the start of the guard's message for it. */
export interface RefusedHead {
  readonly head: string;
  readonly fault: string;
}

/** A head the server reads; `body` follows it (the server waits for a declared body). */
export interface ReadHead {
  readonly head: string;
  readonly body?: string;
}

const get = (headers: string) => `GET / HTTP/1.1\r\nhost: x\r\n${headers}\r\n`;
const post = (headers: string) => `POST / HTTP/1.1\r\nhost: x\r\n${headers}\r\n`;
const requestLine = (line: string) =>
  `Request line "${line}" is not a method, a target and HTTP/1.1 (or HTTP/1.0), one space apart`;

export const REFUSED_HEADS: readonly RefusedHead[] = [
  // Header lines.
  {
    head: get("x-a: b\r\n  c\r\n"),
    fault: "Request head line 4 begins with a space or tab (a header folded onto a second line)",
  },
  {
    head: "GET / HTTP/1.1\r\n\tx-a: b\r\n\r\n",
    fault: "Request head line 2 begins with a space or tab",
  },
  { head: post("content-length: 5\r\n 6\r\n"), fault: "Request head line 4 begins with a space" },
  {
    head: get("x-a : b\r\n"),
    fault: 'Header name "x-a " on line 3 has a character not allowed in a name (a space)',
  },
  {
    head: get("x-\x00a: b\r\n"),
    fault: 'Header name "x-\\x00a" on line 3 has a character not allowed in a name (byte 0x00)',
  },
  {
    head: get("x-\xe9: b\r\n"),
    fault: 'Header name "x-\\xe9" on line 3 has a character not allowed in a name (byte 0xE9)',
  },
  { head: get('x-"a": b\r\n'), fault: 'Header name "x-"a"" on line 3 has a character' },
  { head: get("x/a: b\r\n"), fault: 'Header name "x/a" on line 3 has a character' },
  { head: get(": b\r\n"), fault: "Request head line 3 has a colon but no header name" },
  {
    head: get("x-a b\r\n"),
    fault: 'Request head line 3 ("x-a b") has no colon: it is not a header',
  },
  { head: get("x-a: b\rc\r\n"), fault: "Request head has a CR that is not followed by LF" },
  { head: get("x-a: b\r\r\n"), fault: "Request head has a CR that is not followed by LF" },
  {
    head: get("x-a: b\x0bc\r\n"),
    fault: 'Header "x-a" on line 3 has a control character (byte 0x0B) in its value',
  },
  { head: get("x-a: b\x00c\r\n"), fault: 'Header "x-a" on line 3 has a control character' },
  { head: get("x-a: b\x7fc\r\n"), fault: 'Header "x-a" on line 3 has a control character' },
  { head: get("x-a: b\x1bc\r\n"), fault: 'Header "x-a" on line 3 has a control character' },
  {
    head: `GET / HTTP/1.1\r\n${many(129)}\r\n`,
    fault: "Request head has 129 header lines; ccp takes at most 125",
  },
  // What frames a body, and Host.
  {
    head: post("transfer-encoding: identity\r\n"),
    fault: 'Transfer-Encoding "identity" is not supported: its last coding must be chunked',
  },
  {
    head: post("transfer-encoding: chunked, gzip\r\n"),
    fault: 'Transfer-Encoding "chunked, gzip"',
  },
  { head: post("transfer-encoding: chunked;q=1\r\n"), fault: 'Transfer-Encoding "chunked;q=1"' },
  {
    head: post("transfer-encoding: chunked\r\ntransfer-encoding: chunked\r\n"),
    fault: 'Transfer-Encoding "chunked, chunked" names chunked more than once',
  },
  {
    head: post("transfer-encoding: ,chunked\r\n"),
    fault: 'Transfer-Encoding ",chunked" has an empty coding',
  },
  { head: post("transfer-encoding:\r\n"), fault: 'Transfer-Encoding "" has an empty coding' },
  {
    head: "POST / HTTP/1.0\r\ntransfer-encoding: chunked\r\n\r\n",
    fault: "Transfer-Encoding is not allowed in an HTTP/1.0 request",
  },
  { head: get("Host: y\r\n"), fault: "Request head has more than one Host header" },
  // The request line.
  { head: "G(T / HTTP/1.1\r\nhost: x\r\n\r\n", fault: requestLine("G(T / HTTP/1.1") },
  { head: "GET  / HTTP/1.1\r\nhost: x\r\n\r\n", fault: requestLine("GET  / HTTP/1.1") },
  { head: "GET\t/ HTTP/1.1\r\nhost: x\r\n\r\n", fault: requestLine("GET\\x09/ HTTP/1.1") },
  { head: "GET /\r\nhost: x\r\n\r\n", fault: requestLine("GET /") },
  { head: "GET / HTTP/1.2\r\nhost: x\r\n\r\n", fault: requestLine("GET / HTTP/1.2") },
  { head: "GET / HTTP/2.0\r\nhost: x\r\n\r\n", fault: requestLine("GET / HTTP/2.0") },
  { head: "GET / http/1.1\r\nhost: x\r\n\r\n", fault: requestLine("GET / http/1.1") },
  { head: "GET / HTTP/1.1 \r\nhost: x\r\n\r\n", fault: requestLine("GET / HTTP/1.1 ") },
  { head: "GET /a b HTTP/1.1\r\nhost: x\r\n\r\n", fault: requestLine("GET /a b HTTP/1.1") },
  {
    head: "GET /caf\xe9 HTTP/1.1\r\nhost: x\r\n\r\n",
    fault: requestLine("GET /caf\\xe9 HTTP/1.1"),
  },
  // Past ASCII, only UTF-8: a surrogate's or an overlong form's bytes are not.
  {
    head: "GET /?q=\xed\xa0\x80 HTTP/1.1\r\nhost: x\r\n\r\n",
    fault: requestLine("GET /?q=\\xed\\xa0\\x80 HTTP/1.1"),
  },
  {
    head: "GET /\xc0\xaf HTTP/1.1\r\nhost: x\r\n\r\n",
    fault: requestLine("GET /\\xc0\\xaf HTTP/1.1"),
  },
  { head: "GET /a\x7f HTTP/1.1\r\nhost: x\r\n\r\n", fault: requestLine("GET /a\\x7f HTTP/1.1") },
  { head: "GET /a\x00 HTTP/1.1\r\nhost: x\r\n\r\n", fault: requestLine("GET /a\\x00 HTTP/1.1") },
  { head: "GET  HTTP/1.1\r\nhost: x\r\n\r\n", fault: requestLine("GET  HTTP/1.1") },
  { head: "GET /\r HTTP/1.1\r\nhost: x\r\n\r\n", fault: "Request head has a CR that is not" },
  {
    head: "GET abc HTTP/1.1\r\nhost: x\r\n\r\n",
    fault: 'Request target "abc" must begin with "/"',
  },
  { head: "GET * HTTP/1.1\r\nhost: x\r\n\r\n", fault: 'Request target "*" must begin with "/"' },
  { head: "GET http:abc HTTP/1.1\r\nhost: x\r\n\r\n", fault: 'Request target "http:abc"' },
  {
    head: "GET a:// HTTP/1.1\r\nhost: x\r\n\r\n",
    fault: 'Request target "a://" is a URL with no host',
  },
  {
    head: "OPTIONS http:// HTTP/1.1\r\nhost: x\r\n\r\n",
    fault: 'Request target "http://" is a URL',
  },
  // CONNECT takes an authority only.
  ...["/x", "/", "*", "*x", "http://x/", "H://x", "x://?"].map((target) => ({
    head: `CONNECT ${target} HTTP/1.1\r\nhost: x\r\n\r\n`,
    fault: `Request target "${target}" is not host:port, the only target CONNECT takes`,
  })),
];

export const READ_HEADS: readonly ReadHead[] = [
  { head: get("") },
  { head: get("x-a: b\tc\r\nx-b:\tlead\r\nx-c:\r\nx-d:   \r\n") },
  { head: get("x-a: caf\xe9 \x80\xff\r\n") },
  { head: get("!#$%&'*+-.^_`|~09aZ: b\r\n") },
  { head: "get / HTTP/1.1\r\nhost: x\r\n\r\n" },
  { head: 'GET /a"<>{}\\^`|b?c=d HTTP/1.1\r\nhost: x\r\n\r\n' },
  // A target in UTF-8, as curl sends `?q=é` typed on its command line.
  { head: "GET /caf\xc3\xa9?q=\xf0\x9f\x98\x80 HTTP/1.1\r\nhost: x\r\n\r\n" },
  { head: "GET http://x/v1/models HTTP/1.1\r\nhost: x\r\n\r\n" },
  { head: "OPTIONS * HTTP/1.1\r\nhost: x\r\n\r\n" },
  { head: "GET http://?q HTTP/1.1\r\nhost: x\r\n\r\n" },
  { head: "CONNECT x:443 HTTP/1.1\r\nhost: x\r\n\r\n" },
  { head: "CONNECT [::1]:443 HTTP/1.1\r\nhost: x\r\n\r\n" },
  { head: "CONNECT x:// HTTP/1.1\r\nhost: x\r\n\r\n" },
  { head: "connect /x HTTP/1.1\r\nhost: x\r\n\r\n" },
  { head: "\r\nGET / HTTP/1.1\r\nhost: x\r\n\r\n" },
  { head: "GET / HTTP/1.0\r\nhost: x\r\nhost: y\r\n\r\n" },
  { head: "GET / HTTP/1.1\r\n\r\n" },
  // As many header lines as a client may send, with the most lines the guard adds: the peer
  // header, and for a chunked body `connection: close`.
  { head: `GET / HTTP/1.1\r\n${many(125)}\r\n` },
  { head: `POST / HTTP/1.1\r\ntransfer-encoding: chunked\r\n${many(124)}\r\n`, body: "0\r\n\r\n" },
  { head: post("transfer-encoding: gzip ,  chunked\r\n"), body: "0\r\n\r\n" },
  { head: post("transfer-encoding: CHUNKED\r\n"), body: "0\r\n\r\n" },
  { head: post("transfer-encoding: gzip\r\ntransfer-encoding: chunked\r\n"), body: "0\r\n\r\n" },
  { head: post("content-length: 5\r\nContent-Length: 5\r\n"), body: "hello" },
  { head: post("Content-Length: 5\r\nconnection: keep-alive\r\n"), body: "hello" },
];
