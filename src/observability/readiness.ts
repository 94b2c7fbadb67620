// What /readyz answers: ready once the listeners are bound, the logs are loaded and the metadata is
// current (standalone: this broker registered in its store; cluster mode: the image the controller
// sent lists this broker and names a controller). Otherwise the first missing step, as one line.
// The broker sets the steps as it starts (broker/broker.ts) and clears ready when it stops.

import type { MetadataImage } from '../metadata/image.ts'

export class Readiness {
  private logsLoaded = false
  private listenersUp = false
  private registered = false
  private stopping = false
  private metadata: { nodeId: number; image(): MetadataImage; cluster: boolean } | null = null

  markLogsLoaded(): void {
    this.logsLoaded = true
  }

  markListenersUp(): void {
    this.listenersUp = true
  }

  /** Registered in the metadata store; in cluster mode readiness then waits for the controller. */
  markRegistered(metadata: { nodeId: number; image(): MetadataImage; cluster: boolean }): void {
    this.registered = true
    this.metadata = metadata
  }

  markStopping(): void {
    this.stopping = true
  }

  /** null when ready, else why not. */
  notReadyReason(): string | null {
    if (this.stopping) return 'shutting down'
    if (!this.logsLoaded) return 'loading logs'
    if (!this.listenersUp) return 'listeners not bound yet'
    if (!this.registered || this.metadata === null) return 'not registered in the metadata yet'
    const m = this.metadata
    if (!m.cluster) return null
    const image = m.image()
    if (image.controllerId < 0) return 'no metadata from a controller yet'
    if (!image.brokers.has(m.nodeId)) return `the controller's metadata does not list broker ${m.nodeId} yet`
    return null
  }
}
