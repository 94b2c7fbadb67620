// What every MetadataStore does the same way: one writer (operations run one at a time in call
// order; a failure does not stop the ones after it), the current image, and the listeners called
// in order after each published change (a listener that throws is logged, never stops the others).

import type { Logger } from '../common/logger.ts'
import { MetadataError, MetadataErrorCode } from './errors.ts'
import type { MetadataImage } from './image.ts'
import type { MetadataChange, MetadataListener } from './store.ts'

export class StoreCore {
  protected current: MetadataImage
  protected closed = false
  private readonly coreLogger: Logger
  private readonly listeners = new Set<MetadataListener>()
  private tail: Promise<unknown> = Promise.resolve()

  constructor(initial: MetadataImage, logger: Logger) {
    this.current = initial
    this.coreLogger = logger
  }

  image(): MetadataImage {
    return this.current
  }

  subscribe(listener: MetadataListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Runs `op` after every operation before it; rejects at once when the store is closed. */
  protected run<T>(op: () => Promise<T>): Promise<T> {
    if (this.closed)
      return Promise.reject(new MetadataError(MetadataErrorCode.Closed, 'the metadata store is closed'))
    const result = this.tail.then(op)
    this.tail = result.catch(() => {})
    return result
  }

  /** Refuses new operations and waits for those in progress. */
  protected async drain(): Promise<void> {
    this.closed = true
    await this.tail.catch(() => {})
  }

  /** Calls every listener with `change`, in subscription order. */
  protected notify(change: MetadataChange): void {
    for (const listener of this.listeners) {
      try {
        listener(change)
      } catch (e) {
        this.coreLogger.error('A metadata listener failed', e)
      }
    }
  }
}
