// The controller's single event queue (Kafka's ControllerEventManager): watches firing, broker
// requests (ControlledShutdown, ElectLeaders) and timers all become events, processed one at a time
// in arrival order, each to completion (its awaits included) before the next starts. That is what
// lets the controller's state be plain mutable maps: no two events ever interleave.

import type { Logger } from '../common/logger.ts'

interface QueuedEvent {
  readonly name: string
  readonly run: () => Promise<void>
}

export class EventQueue {
  private readonly log: Logger
  private readonly items: QueuedEvent[] = []
  private running = false
  private idleWaiters: (() => void)[] = []

  constructor(log: Logger) {
    this.log = log
  }

  /** Queues `fn`; resolves or rejects with its outcome once it has run. */
  put<T>(name: string, fn: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.items.push({
        name,
        run: () => fn().then(resolve, reject),
      })
      void this.drain()
    })
  }

  /** Queues `fn` whose outcome nobody waits for: failures are logged. */
  fire(name: string, fn: () => Promise<void>): void {
    this.put(name, fn).catch((e: unknown) => this.log.error(`Controller event ${name} failed`, e))
  }

  /** Resolves when the queue is empty and nothing runs (tests). */
  idle(): Promise<void> {
    if (!this.running && this.items.length === 0) return Promise.resolve()
    return new Promise((r) => this.idleWaiters.push(r))
  }

  get size(): number {
    return this.items.length
  }

  private async drain(): Promise<void> {
    if (this.running) return
    this.running = true
    try {
      for (let ev = this.items.shift(); ev !== undefined; ev = this.items.shift()) {
        this.log.trace(`Processing controller event ${ev.name}`)
        await ev.run()
      }
    } finally {
      this.running = false
      const waiters = this.idleWaiters
      this.idleWaiters = []
      for (const w of waiters) w()
    }
  }
}
