/**
 * A user turn -> Chat Completions messages: `tool_result` blocks become `tool` messages
 * first (they must follow the assistant's `tool_calls` directly), then one user message
 * carrying the images those results held (tool messages cannot) and the turn's own
 * text, images and documents, in their original order.
 */

import { ClientRequestError } from "../../core/errors.ts";
import type {
  ContentBlockParam,
  DocumentBlockParam,
  ImageBlockParam,
  ToolResultBlockParam,
} from "../../protocols/anthropic.ts";
import type { ChatContentPart, ChatMessage } from "../../protocols/openai_chat.ts";
import type { OpenAIDialect } from "./dialect.ts";
import { searchResultText } from "../anthropic/search_result.ts";
import { serverToolBlockText } from "../anthropic/server_tools.ts";
import {
  contentDocument,
  documentContextNote,
  documentHeading,
} from "../anthropic/document_words.ts";
import { toolReferenceText } from "../anthropic/tool_reference.ts";
import { followsNote } from "../tool_media_note.ts";
import type { ToolNamer } from "../tool_names.ts";
import { pdfFileName } from "../document_name.ts";
import { pdfStandIn } from "../pdf_reading.ts";
import { append } from "../../core/append.ts";

/** Context shared by the message mappers. */
export interface MapContext {
  readonly dialect: OpenAIDialect;
  readonly provider: string;
  /** A tag of the provider's server, when known (see OpenAITarget). */
  readonly server?: string;
  readonly model: string;
  /** The name the upstream sees for a client tool name, in this request. */
  readonly toolName: ToolNamer;
}

function imagePart(block: ImageBlockParam, ctx: MapContext): ChatContentPart {
  if (!ctx.dialect.supportsImages) {
    // A 400 here would poison the whole session: the image stays in Claude Code's history.
    return {
      type: "text",
      text:
        `[image omitted: provider "${ctx.provider}" (model ${ctx.model}) does not accept images]`,
    };
  }
  const src = block.source;
  if (src.type === "base64") {
    return { type: "image_url", image_url: { url: `data:${src.media_type};base64,${src.data}` } };
  }
  if (src.type === "url") return { type: "image_url", image_url: { url: src.url } };
  throw new ClientRequestError(
    `Image source "${src.type}" cannot be sent to provider "${ctx.provider}": use base64 or url images`,
  );
}

function documentParts(block: DocumentBlockParam, ctx: MapContext): ChatContentPart[] {
  const src = block.source;
  const heading = documentHeading(block);
  if (src.type === "text") return [{ type: "text", text: heading + src.data }];
  if (src.type === "content") {
    const { text, images } = contentDocument(src.content);
    return [{ type: "text", text: heading + text }, ...images.map((i) => imagePart(i, ctx))];
  }
  const context = documentContextNote(block);
  const file = fileDocumentParts(block, ctx);
  return context ? [{ type: "text", text: context }, ...file] : file;
}

function fileDocumentParts(block: DocumentBlockParam, ctx: MapContext): ChatContentPart[] {
  const src = block.source;
  if (src.type === "file") {
    throw new ClientRequestError(
      `Document source "file" (an Anthropic Files API id) cannot be sent to provider ` +
        `"${ctx.provider}": use base64, url or text documents`,
    );
  }
  const { supportsDocuments, documentUrls } = ctx.dialect;
  const filename = pdfFileName(block.title);
  if (src.type === "base64" && supportsDocuments) {
    return [{
      type: "file",
      file: { filename, file_data: `data:${src.media_type};base64,${src.data}` },
    }];
  }
  if (src.type === "url" && supportsDocuments && documentUrls) {
    return [{ type: "file", file: { filename, file_data: src.url } }];
  }
  // A 400 here would poison the whole session: the PDF stays in Claude Code's history.
  const name = block.title ? ` "${block.title}"` : "";
  const where = src.type === "url" ? ` at ${src.url}` : "";
  const what = src.type === "url" && supportsDocuments
    ? "does not fetch documents by URL"
    : "does not accept PDF documents";
  const note =
    `[document${name}${where} omitted: provider "${ctx.provider}" (model ${ctx.model}) ${what}]`;
  if (src.type !== "base64") return [{ type: "text", text: note }];
  return [{ type: "text", text: pdfStandIn(src.data, block.title ?? undefined, note, src) }];
}

/** Text of a tool result plus the images it carried. */
function toolResultParts(
  block: ToolResultBlockParam,
  ctx: MapContext,
): { text: string; images: ChatContentPart[] } {
  const content = block.content;
  if (content === undefined || typeof content === "string") {
    return { text: content ?? "", images: [] };
  }
  const texts: string[] = [];
  const images: ChatContentPart[] = [];
  for (const part of content) {
    if (part.type === "text") texts.push(part.text);
    else if (part.type === "image") {
      // The note that stands for an image the model cannot see stays with the result it belongs
      // to, as a document's does: a tool text saying an image follows, then a user message saying
      // none does, reads as two contradicting answers.
      const image = imagePart(part, ctx);
      if (image.type === "text") texts.push(image.text);
      else images.push(image);
    } else if (part.type === "document") {
      for (const p of documentParts(part, ctx)) {
        if (p.type === "text") texts.push(p.text);
        else images.push(p);
      }
    } else {
      const text = toolReferenceText(part, ctx.toolName) ?? searchResultText(part);
      if (text) texts.push(text);
    }
  }
  return { text: texts.join("\n"), images };
}

function toolMessage(
  block: ToolResultBlockParam,
  text: string,
  follows: readonly ChatContentPart[],
): ChatMessage {
  let content = text;
  // Claude Code already wraps most failures in <tool_use_error>; other errors get a marker.
  if (block.is_error && !content.includes("tool_use_error")) content = `Error: ${content}`;
  // `file` parts are PDFs; the rest are images.
  const documents = follows.filter((p) => p.type === "file").length;
  const note = followsNote(follows.length - documents, documents);
  if (note) content += `${content ? "\n" : ""}${note}`;
  return { role: "tool", tool_call_id: block.tool_use_id, content: content || "(no output)" };
}

/** Maps one user turn to its Chat Completions messages. */
export function mapUserTurn(content: string | ContentBlockParam[], ctx: MapContext): ChatMessage[] {
  if (typeof content === "string") return [{ role: "user", content }];
  const out: ChatMessage[] = [];
  const parts: ChatContentPart[] = [];
  const own: ChatContentPart[] = [];
  for (const block of content) {
    switch (block.type) {
      case "tool_result": {
        const { text, images } = toolResultParts(block, ctx);
        out.push(toolMessage(block, text, images));
        append(parts, images);
        break;
      }
      case "text":
        own.push({ type: "text", text: block.text });
        break;
      case "image":
        own.push(imagePart(block, ctx));
        break;
      case "document":
        own.push(...documentParts(block, ctx));
        break;
      default: {
        // thinking / tool_use / unknown blocks have no place in a user turn
        const text = searchResultText(block) ?? serverToolBlockText(block);
        if (text) own.push({ type: "text", text });
      }
    }
  }
  append(parts, own);
  if (parts.length === 1 && parts[0]?.type === "text") {
    out.push({ role: "user", content: parts[0].text });
  } else if (parts.length > 0) {
    out.push({ role: "user", content: parts });
  }
  return out;
}
