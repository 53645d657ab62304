/**
 * Recognising an upstream model that does not take documents (PDFs), from its refusal.
 *
 * Claude Code's Read returns a PDF as a `document` block and keeps it in the history, so a model
 * or gateway that takes no file input refuses every later turn of the session. As with images
 * (refused_images.ts), the refusal itself says so in each server's words: the request is sent
 * once more with each document replaced by a note, and that provider and model get the note
 * from then on. `supports: { documents: false }` says it before any refusal.
 */

import { pdfStandIn } from "../../translate/pdf_reading.ts";
import { isRecord, withPartsReplaced } from "./replace_parts.ts";

type Json = Record<string, unknown>;

/** Replaces a document (a PDF) for models that take none: it stays in history as images do. */
export function documentNote(name?: string): string {
  const named = name ? ` "${name}"` : "";
  return `[document${named} omitted: this model does not accept PDF documents]`;
}

/** The learned entry that means "replace documents" (no wire protocol has a top-level `documents`). */
export const NO_DOCUMENTS = "documents";

// Wordings of a refused document or file part, by server family. Each names the part type or
// says documents are not taken, so an unrelated 400 of a body that happens to hold a PDF is not
// mistaken for one.
const REFUSED: readonly RegExp[] = [
  // OpenAI and Azure (`'file'`, then the values they take or "This model does not support file
  // content types"), Alibaba's DashScope (`file` unquoted).
  /invalid value: ['"`]?(?:file|input_file)['"`]?[.,]/i,
  /\b(?:does not|doesn't|do not) support (?:file|pdf|document)s?\b/i,
  /\b(?:file|pdf|document) (?:input|content)s? (?:is|are) not supported/i,
  /unsupported (?:chat )?content part type:? ['"`]?(?:file|input_file)\b/i, // vLLM
  /unknown part type:? ['"`]?file\b/i, // older vLLM (a 501)
  /unknown variant [`'"]?(?:file|input_file|document)[`'"]?/i, // DeepSeek, serde-based servers
  // Pydantic-validated servers (SGLang, Llama Stack and other Python gateways).
  /input tag ['"`](?:file|input_file|document)['"`] found using ['"`]type['"`] does not match/i,
  // Azure behind LiteLLM: only uploaded files (`file_id`), never inline data.
  /missing required parameter: ['"`][^'"`]*\.file\.file_id['"`]/i,
];

// 4xx but a rate limit; 501 is how older vLLM answers a part type it has no parser for.
const refusalStatus = (status: number) =>
  (status >= 400 && status < 500 && status !== 429) || status === 501;

/** The text of an Anthropic text or content-source document, which needs no document support. */
function documentText(source: Json, title: unknown): string | undefined {
  const head = typeof title === "string" && title ? `${title}\n\n` : "";
  if (source.type === "text" && typeof source.data === "string") return head + source.data;
  if (source.type !== "content") return undefined;
  const content = source.content;
  if (typeof content === "string") return head + content;
  if (!Array.isArray(content)) return undefined;
  return head + content.map((b) => (isRecord(b) && b.type === "text" ? String(b.text) : ""))
    .join("\n");
}

/** The note that replaces `part` when it is a document in any protocol's shape; else undefined. */
function placeholderFor(part: Json): Json | undefined {
  if (part.type === "document" && isRecord(part.source)) {
    const text = documentText(part.source, part.title);
    const title = typeof part.title === "string" ? part.title : undefined;
    const data = part.source.type === "base64" ? part.source.data : undefined;
    return {
      type: "text",
      text: text ?? pdfStandIn(data, title, documentNote(title), part.source),
    };
  }
  // The PDFs of a built body stand in by their text too (a data URL, or Gemini's base64).
  if (part.type === "file" && isRecord(part.file)) {
    const name = typeof part.file.filename === "string" ? part.file.filename : undefined;
    return { type: "text", text: pdfStandIn(part.file.file_data, name, documentNote(name)) };
  }
  if (part.type === "input_file") {
    const name = typeof part.filename === "string" ? part.filename : undefined;
    return { type: "input_text", text: pdfStandIn(part.file_data, name, documentNote(name)) };
  }
  // Gemini: documents are the only non-image media ccp sends (images are refused_images.ts's).
  const media = isRecord(part.inlineData) ? part.inlineData : part.fileData;
  if (isRecord(media) && !String(media.mimeType ?? "").startsWith("image/")) {
    return { text: pdfStandIn(media.data, undefined, documentNote()) };
  }
  return undefined;
}

/** `body` with every document of its history replaced by a note; the input is not changed. */
export function withoutDocuments(body: Json): Json {
  return withPartsReplaced(body, placeholderFor);
}

/** True when a refusal (`status`, the upstream's `message`) is of the documents `sent` carries. */
export function refusesDocuments(status: number | undefined, message: string, sent: Json): boolean {
  if (status === undefined || !refusalStatus(status)) return false;
  return REFUSED.some((re) => re.test(message)) && withoutDocuments(sent) !== sent;
}
