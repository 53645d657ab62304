/**
 * Recognising an upstream model that does not take images, from its refusal.
 *
 * An image stays in Claude Code's history (a pasted screenshot, a Read of a picture), so a model
 * without vision refuses every later turn of the session, not just the one with the image. The
 * catalog marks the text-only APIs it knows (`supports: { images: false }`); for any other model
 * the refusal itself says so, in each server's words. Then the request is sent once more with
 * each image replaced by a note, and that provider and model get the note from then on, as
 * refused parameters are learned (refused_params.ts).
 */

import { IMAGE_PLACEHOLDER } from "../model_settings.ts";
import { isRecord, withPartsReplaced } from "./replace_parts.ts";

type Json = Record<string, unknown>;

/** The learned entry that means "replace images" (no wire protocol has a top-level `images`). */
export const NO_IMAGES = "images";

// Ollama's words for an image sent to a model without a vision part (qwen3-coder, the default):
// a 500 from its runner, which some versions answer as a 400.
const MISSING_VISION = /\bmissing data required for image input\b/i;

// Wordings of a refused image, by server family.
const REFUSED: readonly RegExp[] = [
  /no endpoints found that support image input/i, // OpenRouter (a 404)
  /unknown variant [`'"]?image_url[`'"]?/i, // DeepSeek and other serde-based servers
  /image_url is only supported by certain models/i, // OpenAI
  /\b(?:does not|doesn't|do not) support (?:image|vision|multimodal)/i,
  /\bimage (?:input|content)s? (?:is|are) not supported|\bnot a multimodal model/i, // llama.cpp, vLLM
  MISSING_VISION,
];

/** The note that replaces `part` when it is an image in any protocol's shape; else undefined. */
function placeholderFor(part: Json): Json | undefined {
  if (part.type === "image" || part.type === "image_url") {
    return { type: "text", text: IMAGE_PLACEHOLDER };
  }
  if (part.type === "input_image") return { type: "input_text", text: IMAGE_PLACEHOLDER };
  const media = isRecord(part.inlineData) ? part.inlineData : part.fileData;
  if (isRecord(media) && String(media.mimeType ?? "").startsWith("image/")) {
    return { text: IMAGE_PLACEHOLDER };
  }
  return undefined;
}

/** `body` with every image of its history replaced by a note; the input is not changed. */
export function withoutImages(body: Json): Json {
  return withPartsReplaced(body, placeholderFor);
}

// llama-server started without the model's projector (`--mmproj`) refuses an image with a 500
// `server_error`, its multimodal check throwing before anything is rendered, and Ollama with its
// own 500: these words count at 500 too, where any other wording is a server fault that another
// try may not meet.
const REFUSED_AS_FAULT: readonly RegExp[] = [/\bimage input is not supported\b/i, MISSING_VISION];

/** True when a refusal (`status`, the upstream's `message`) is of the images `sent` carries. */
export function refusesImages(status: number | undefined, message: string, sent: Json): boolean {
  if (status === undefined || status < 400 || status === 429) return false;
  const refused = status < 500
    ? REFUSED.some((re) => re.test(message))
    : status === 500 && REFUSED_AS_FAULT.some((re) => re.test(message));
  return refused && withoutImages(sent) !== sent;
}
