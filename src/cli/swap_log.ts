/** A logger whose level can change after a config reload without rebuilding the app. */

import type { LogLevel } from "../config/types.ts";
import type { Logger } from "../core/log.ts";

/** A Logger plus `setLevel`, which replaces the logger every call delegates to. */
export interface SwappableLogger extends Logger {
  setLevel(level: LogLevel): void;
}

/** Wraps `make(level)` so later `setLevel` calls take effect everywhere the logger was passed. */
export function swappableLogger(
  make: (level: LogLevel) => Logger,
  level: LogLevel,
): SwappableLogger {
  let inner = make(level);
  return {
    get level() {
      return inner.level;
    },
    debug: (m, f) => inner.debug(m, f),
    info: (m, f) => inner.info(m, f),
    warn: (m, f) => inner.warn(m, f),
    error: (m, f) => inner.error(m, f),
    enabled: (l) => inner.enabled(l),
    get structured() {
      return inner.structured;
    },
    setLevel(next) {
      if (next !== inner.level) inner = make(next);
    },
  };
}
