/**
 * The file name a PDF document goes upstream under. Anthropic's `title` is free text, but OpenAI
 * style upstreams read a file's type from its name: a PDF named "Quarterly report" can be refused
 * as an unsupported file, so the name always ends in `.pdf`.
 */

/**
 * `title` as a PDF's file name: kept as written, with `.pdf` added when it lacks it. Anything but
 * a string (a client's odd value) gives the default name.
 */
export function pdfFileName(title: unknown): string {
  const name = typeof title === "string" ? title.trim() : "";
  if (!name) return "document.pdf";
  return /\.pdf$/i.test(name) ? name : `${name}.pdf`;
}
