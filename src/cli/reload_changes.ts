/** What a reload cannot apply: the settings `ccp serve` reads once, when it starts. */

import type { Config } from "../config/types.ts";

// Each setting as the config file names it, and how to read it from a loaded config. The
// listener's limits, the log sink, the usage ledger and the shared engines are set up at start.
const AT_START: readonly (readonly [string, (c: Config) => unknown])[] = [
  ["server.timeouts", (c) => c.server.clientTimeouts],
  ["server.max_connections", (c) => c.server.maxConnections],
  ["server.max_body_size", (c) => c.server.maxBodyBytes],
  ["server.connection_guard", (c) => c.server.connectionGuard],
  ["server.log_file", (c) => c.server.logFile],
  ["server.log_format", (c) => c.server.logFormat],
  ["server.data_dir", (c) => c.server.dataDir],
  ["usage.enabled", (c) => c.usage?.enabled ?? true],
  ["shared", (c) => c.shared],
];

/** The settings that differ between the running config and the reloaded one but need a restart. */
export function restartOnlyChanges(running: Config, next: Config): string[] {
  return AT_START.filter(([, read]) => JSON.stringify(read(running)) !== JSON.stringify(read(next)))
    .map(([name]) => name);
}
