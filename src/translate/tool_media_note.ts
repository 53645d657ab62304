/**
 * The line a tool's text ends with when the images or PDFs its result held follow in the next
 * user message (tool messages and function outputs carry text only): it names what follows, so
 * a model told of an image does not look for one when a PDF comes.
 */

/** The line for `images` images and `documents` PDFs; empty when nothing follows. */
export function followsNote(images: number, documents: number): string {
  if (images > 0 && documents > 0) {
    return "[image and PDF document output follow in the next message]";
  }
  if (images > 0) return "[image output follows in the next message]";
  return documents > 0 ? "[PDF document output follows in the next message]" : "";
}
