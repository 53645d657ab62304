/**
 * The file name a PDF document goes upstream under. Anthropic's `title` is free text, but OpenAI
 * style upstreams read a file's type from its name: a PDF named "Quarterly report" can be refused
 * as an unsupported file, so the name always ends in `.pdf`.
 */

/** `title` as a PDF's file name: kept as written, with `.pdf` added when it lacks it. */
export function pdfFileName(title: string | null | undefined): string {
  const name = title?.trim();
  if (!name) return "document.pdf";
  return /\.pdf$/i.test(name) ? name : `${name}.pdf`;
}
