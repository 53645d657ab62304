/** The two zod helpers every config schema shares: strict sections and container-kind messages. */

import { z } from "zod";
import { describeValue } from "../issues.ts";
import { didYouMean } from "../suggest.ts";

/** A mapping whose unknown keys are errors that suggest the closest known key. */
export function section<T extends z.core.$ZodLooseShape>(shape: T): z.ZodObject<T, z.core.$strict> {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code !== "unrecognized_keys") return undefined;
      // One line per key, in issue.keys order; the loader pairs them up to report each key's path.
      return issue.keys.map((key) => {
        const hint = didYouMean(key, known) ?? `known keys: ${known.join(", ")}`;
        return `unknown key (${hint})`;
      }).join("\n");
    },
  });
}

/** Messages for zod's own issues (wrong container kinds), phrased like ours. */
export function zodMessage(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code !== "invalid_type") return undefined;
  const expected: Readonly<Record<string, string>> = {
    object: "a mapping",
    record: "a mapping",
    array: "a list",
    string: "a string",
  };
  return `expected ${expected[issue.expected] ?? issue.expected}, got ${
    describeValue(issue.input)
  }`;
}
