/** How editors save a file: these each reach a watcher differently. */
export type SaveKind = "in place" | "rename over" | "delete and create";

/**
 * Saves `text` as `path` the way an editor does: written in place, written beside it and renamed
 * over it (a swap file), or deleted and written again `gapMs` later.
 */
export async function saveAsEditor(
  how: SaveKind,
  path: string,
  text: string,
  gapMs = 20,
): Promise<void> {
  if (how === "in place") return await Deno.writeTextFile(path, text);
  if (how === "rename over") {
    await Deno.writeTextFile(`${path}.swp~`, text);
    return await Deno.rename(`${path}.swp~`, path);
  }
  await Deno.remove(path);
  await new Promise((resolve) => setTimeout(resolve, gapMs));
  await Deno.writeTextFile(path, text);
}
