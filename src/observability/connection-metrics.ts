// Connections created per listener and open connections, under the names the JMX exporter's usual
// rules give Kafka's socket-server-metrics (kafka_server_socket_server_metrics_connection_creation_total
// with label `listener`, and _connection_count). Creations are counted from node:diagnostics_channel's
// `net.server.socket` (published once for every accepted TCP connection, TLS included), so the
// network layer is not touched: the accepting server's port tells the listener. Per connection, not
// per request. Connections refused at once (max.connections) count as created, as the kernel
// accepted them. The open count is read at scrape time from the socket server, per listener (the
// accepted socket is replaced by another one, network/owned-reads.ts, so its close cannot be
// followed from here). Kafka also has a networkProcessor label; Samsa has one event loop, so it is
// left out.

import diagnostics from 'node:diagnostics_channel'
import type { Server, Socket } from 'node:net'
import { type CounterSlot, FastCounter, ScrapedMetric } from './fast-metrics.ts'

const CHANNEL = 'net.server.socket'

export class ConnectionMetrics {
  readonly created = new FastCounter(
    'kafka_server_socket_server_metrics_connection_creation_total',
    'Connections accepted, by listener (Kafka connection-creation-total).',
  )
  readonly open = new ScrapedMetric(
    'kafka_server_socket_server_metrics_connection_count',
    'Open connections, by listener (Kafka connection-count).',
    'gauge',
    () => {
      if (this.openCount === null) return []
      const open = this.openCount()
      // Every watched listener is listed, with 0 when it has no connection.
      return this.listeners.map((name) => ({ labels: { listener: name }, value: open.get(name) ?? 0 }))
    },
  )
  readonly families = [this.created, this.open] as const
  private readonly byPort = new Map<number, CounterSlot>()
  // Held here: a channel nobody references may be collected with its subscribers.
  private readonly channel = diagnostics.channel(CHANNEL)
  private subscribed = false
  private openCount: (() => ReadonlyMap<string, number>) | null = null
  private listeners: string[] = []

  private readonly onSocket = (message: unknown): void => {
    const socket = (message as { socket?: Socket & { server?: Server } }).socket
    if (socket === undefined) return
    // The accepting server's port: the socket itself may already have given its handle away.
    const addr = socket.server?.address()
    const port = addr !== null && typeof addr === 'object' ? addr.port : (socket.localPort ?? -1)
    const slot = this.byPort.get(port)
    if (slot !== undefined) slot.value++
  }

  /** Starts counting the connections of these listeners (their bound ports); `open` counts them by listener. */
  watch(listeners: readonly { name: string; port: number }[], open: () => ReadonlyMap<string, number>): void {
    this.openCount = open
    this.listeners = [...new Set(listeners.map((l) => l.name))]
    for (const l of listeners) this.byPort.set(l.port, this.created.slot(l.name, { listener: l.name }))
    if (!this.subscribed) {
      this.channel.subscribe(this.onSocket)
      this.subscribed = true
    }
  }

  close(): void {
    if (this.subscribed) this.channel.unsubscribe(this.onSocket)
    this.subscribed = false
  }
}
