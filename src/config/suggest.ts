/** "Did you mean ..." suggestions for misspelt keys, presets and provider ids. */

/** Optimal-string-alignment distance: Levenshtein plus adjacent transpositions ("nmi" -> "nim" = 1). */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row: number[] = [i];
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const prev = rows[i - 1] as number[];
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, ((rows[i - 2] as number[])[j - 2] ?? 0) + 1);
      }
      row.push(best);
    }
    rows.push(row);
  }
  return (rows[a.length] as number[])[b.length] ?? 0;
}

/** The candidate closest to `word`, if one is close enough to be a plausible typo. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const needle = word.toLowerCase();
  // About one edit per three characters: catches typos without suggesting unrelated words.
  const limit = Math.max(1, Math.ceil(needle.length / 3));
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(needle, candidate.toLowerCase());
    if (distance <= limit && (best === undefined || distance < best.distance)) {
      best = { candidate, distance };
    }
  }
  return best?.candidate;
}

/** `did you mean "x"?` when a close candidate exists, else undefined. */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  const match = closest(word, candidates);
  return match === undefined ? undefined : `did you mean "${match}"?`;
}

/**
 * A set variable whose name is one or two edits from `name` (`OPENROUTR_API_KEY` ->
 * `OPENROUTER_API_KEY`, `..._API_KEYS` -> `..._API_KEY`): what a `${name}` that reads as "" most
 * likely meant. Tighter than {@link closest}: the environment holds many unrelated names.
 */
export function setVariableLike(
  name: string,
  env: Readonly<Record<string, string | undefined>>,
): string | undefined {
  const limit = name.length < 8 ? 1 : 2;
  let best: { candidate: string; distance: number } | undefined;
  for (const [candidate, value] of Object.entries(env)) {
    if (candidate === name || !value?.trim()) continue;
    const distance = editDistance(name.toUpperCase(), candidate.toUpperCase());
    if (distance <= limit && (best === undefined || distance < best.distance)) {
      best = { candidate, distance };
    }
  }
  return best?.candidate;
}
