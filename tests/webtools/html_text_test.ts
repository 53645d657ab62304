import assert from "node:assert/strict";
import { decodeEntities, htmlTitle, htmlToText } from "../../src/webtools/html_text.ts";

Deno.test("HTML reduced to text", async (t) => {
  await t.step("scripts, styles, comments and head are removed", () => {
    const html = `<html><head><title>T</title><style>p{}</style></head><body>
      <script type="text/javascript">if (a < b) { document.write("<p>x</p>") }</script>
      <noscript>enable js</noscript><!-- <p>hidden</p> --><p>Shown</p></body></html>`;
    assert.equal(htmlToText(html), "Shown");
  });
  await t.step("block elements make lines; source whitespace collapses", () => {
    assert.equal(
      htmlToText("<h1>Title</h1><p>one\n   two</p><ul><li>a</li><li>b</li></ul>x<br>y"),
      "Title\n\none two\n\na\n\nb\n\nx\ny",
    );
  });
  await t.step("entities are decoded after tags are gone, so they never become markup", () => {
    assert.equal(
      htmlToText("<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"),
      "<script>alert(1)</script>",
    );
    assert.equal(
      decodeEntities("&amp;lt; &#39; &#x27; &eacute; &nbsp;x &#0; &#xD800; &#1114112;"),
      "&lt; ' ' &eacute;  x \ufffd \ufffd \ufffd",
    );
  });
  await t.step("quoted attributes may hold >", () => {
    assert.equal(htmlToText(`<a title="a > b" href='x>y'>link</a> text`), "link text");
  });
  await t.step("an unclosed script hides the rest of a cut page", () => {
    assert.equal(htmlToText("<p>kept</p><script>var x = 1; // cut"), "kept");
  });
  await t.step("a lone < stays text", () => {
    assert.equal(htmlToText("<p>1 < 2 and 3 > 2</p>"), "1 < 2 and 3 > 2");
  });
  await t.step("title", () => {
    assert.equal(htmlTitle("<head><title>\n A &amp; B \n</title></head>"), "A & B");
    assert.equal(htmlTitle("<p>none</p>"), undefined);
  });
});

Deno.test("a hostile page is reduced in linear time (the server waits for it)", async (t) => {
  // Each case was quadratic: every `<` that starts a tag or element scanned to the page's end.
  const filler = "y".repeat(200_000);
  const cases: Record<string, string> = {
    "tags that never close": "a<b c ".repeat(20_000) + filler,
    "self-closed hidden elements": "<p>text</p><svg class='i'/>".repeat(10_000) + filler,
    "unterminated quotes": `<a title="x `.repeat(20_000) + filler,
    "declarations that never close": "<!x ".repeat(20_000) + filler,
    "titles that never close": "<title>".repeat(20_000) + filler,
  };
  for (const [name, html] of Object.entries(cases)) {
    await t.step(name, () => {
      const started = performance.now();
      htmlToText(html);
      htmlTitle(html);
      const ms = performance.now() - started;
      assert.ok(ms < 500, `${Math.round(ms)} ms`);
    });
  }
  await t.step("a tag cut by the end of the page is not shown", () => {
    assert.equal(htmlToText(`<p>kept</p><img src="data:image/png;base64,AAAA`), "kept");
  });
});
