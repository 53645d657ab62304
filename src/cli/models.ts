/** `ccp models`: the model names clients can send, as GET /v1/models lists them. */

import { modelRows } from "../server/routes/models.ts";
import type { CliFlags } from "./args.ts";
import type { CliContext } from "./context.ts";
import { loadCliConfig } from "./load.ts";
import { displayWidth, padEndColumns } from "../core/display_width.ts";
import { runsServerTools } from "../upstream/anthropic/real_anthropic.ts";

/**
 * Runs `ccp models`: one line per name: the name, what it is, and a route's or alias's targets
 * (a provider model goes where its name says). Not the API's display names: they repeat the name
 * for pickers that show nothing else, and a terminal already has it in the first column.
 */
export async function runModels(ctx: CliContext, flags: CliFlags): Promise<number> {
  const config = await loadCliConfig(ctx, flags);
  const rows = modelRows(config);
  const width = Math.max(0, ...rows.map((row) => displayWidth(row.id)));
  for (const row of rows) {
    const line = `${padEndColumns(row.id, width)}  ${row.kind}`;
    if (row.kind !== "model") ctx.io.out(`${line}  \u2192 ${row.chain}`);
    else {
      // Web search and fetch go to this model as they are, for its upstream to run.
      const provider = config.providers[row.provider];
      ctx.io.out(provider && runsServerTools(provider) ? `${line}  (server tools upstream)` : line);
    }
  }
  return 0;
}
