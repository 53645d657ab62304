/**
 * Images and documents -> Gemini parts: base64 data -> `inlineData`; an https URL ->
 * `fileData`, which the Gemini API fetches itself; a `data:` URL -> `inlineData`.
 * Anything Gemini cannot read (Anthropic Files API ids, other URL schemes) is a clear 400.
 */

import { ownValue } from "../../core/json.ts";
import { ClientRequestError } from "../../core/errors.ts";
import type { DocumentBlockParam, ImageBlockParam } from "../../protocols/anthropic.ts";
import type { GeminiPart } from "../../protocols/gemini.ts";
import {
  contentDocument,
  documentContextNote,
  documentHeading,
} from "../anthropic/document_words.ts";

const IMAGE_TYPES: Readonly<Record<string, string>> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  heic: "image/heic",
  heif: "image/heif",
  pdf: "application/pdf",
};

function mimeOfUrl(url: URL): string | undefined {
  const ext = /\.([a-z0-9]+)$/i.exec(url.pathname)?.[1]?.toLowerCase();
  return ext ? ownValue(IMAGE_TYPES, ext) : undefined;
}

/** A URL as a part, or a 400 naming what could not be sent. */
function urlPart(text: string, what: string, provider: string, fallbackMime?: string): GeminiPart {
  const data = /^data:([^;,]+);base64,(.*)$/s.exec(text);
  if (data) return { inlineData: { mimeType: data[1]!, data: data[2]! } };
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (url?.protocol !== "https:" && url?.protocol !== "http:") {
    throw new ClientRequestError(
      `${what} URL "${text.slice(0, 80)}" cannot be sent to provider "${provider}" (Gemini): ` +
        `use an https URL or base64 data`,
    );
  }
  const mimeType = mimeOfUrl(url) ?? fallbackMime;
  return { fileData: { fileUri: url.href, ...(mimeType ? { mimeType } : {}) } };
}

/** One image block as a part. */
export function imagePart(block: ImageBlockParam, provider: string): GeminiPart {
  const src = block.source;
  if (src.type === "base64") return { inlineData: { mimeType: src.media_type, data: src.data } };
  if (src.type === "url") return urlPart(src.url, "Image", provider);
  throw new ClientRequestError(
    `Image source "${src.type}" cannot be sent to provider "${provider}" (Gemini): ` +
      `use base64 or https url images`,
  );
}

/** One document block as parts (text documents stay text). */
export function documentParts(block: DocumentBlockParam, provider: string): GeminiPart[] {
  const src = block.source;
  const heading = documentHeading(block);
  if (src.type === "text") return [{ text: heading + src.data }];
  if (src.type === "content") {
    const { text, images } = contentDocument(src.content);
    return [{ text: heading + text }, ...images.map((image) => imagePart(image, provider))];
  }
  const context = documentContextNote(block);
  const file = fileDocumentPart(block, provider);
  return context ? [{ text: context }, file] : [file];
}

function fileDocumentPart(block: DocumentBlockParam, provider: string): GeminiPart {
  const src = block.source;
  switch (src.type) {
    case "base64":
      return { inlineData: { mimeType: src.media_type, data: src.data } };
    case "url":
      return urlPart(src.url, "Document", provider, "application/pdf");
    default:
      throw new ClientRequestError(
        `Document source "${src.type}" cannot be sent to provider "${provider}" (Gemini): ` +
          `use base64, text or https url documents`,
      );
  }
}
