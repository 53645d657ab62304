/**
 * What a document block says beside its data, for protocols whose file parts have no place for
 * it: its `title` and the `context` the client wrote about it (a model never saw a document's
 * context when only the file went upstream), and the text and images of a `content` document.
 */

import type {
  ContentBlockParam,
  DocumentBlockParam,
  ImageBlockParam,
} from "../../protocols/anthropic.ts";

function words(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** The title and context that open a document sent as text, each followed by a blank line. */
export function documentHeading(block: DocumentBlockParam): string {
  return [words(block.title), words(block.context)].filter((w) => w !== undefined)
    .map((w) => `${w}\n\n`).join("");
}

/** The line that puts a file document's context before it; undefined when it has none. */
export function documentContextNote(block: DocumentBlockParam): string | undefined {
  const context = words(block.context);
  if (context === undefined) return undefined;
  const title = words(block.title);
  return `[context of the document${title ? ` "${title}"` : ""} that follows: ${context}]`;
}

/** A `content` document's text blocks joined, and the images it holds, in their order. */
export function contentDocument(
  content: string | ContentBlockParam[],
): { text: string; images: ImageBlockParam[] } {
  if (typeof content === "string") return { text: content, images: [] };
  const texts: string[] = [];
  const images: ImageBlockParam[] = [];
  for (const block of content) {
    if (block.type === "text") texts.push(block.text);
    else if (block.type === "image") images.push(block);
  }
  return { text: texts.join("\n"), images };
}
