// The logging the storage layer needs (recovery progress, warnings about truncated data). The
// broker passes its logger; tests and tools may pass nothing.

export interface StorageLogger {
  info(message: string): void
  warn(message: string): void
  error(message: string, err?: unknown): void
}

export const silentLogger: StorageLogger = {
  info: () => {},
  warn: () => {},
  error: () => {},
}
