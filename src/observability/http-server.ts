// The broker's HTTP listener (samsa.http.listeners), on node:http in the broker process:
//   GET /metrics  the Prometheus text format (prom-client's Registry writes it)
//   GET /healthz  200 "ok" while the process serves
//   GET /readyz   200 "ready", or 503 with a one-line reason (readiness.ts)
// Other paths go to the mounted routes when there are some (the web console, console/), else 404
// (405 for a method other than GET/HEAD). Keep-alive connections are closed on stop so the
// broker's shutdown does not wait for scrapers.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Logger } from '../common/logger.ts'

export interface HttpRoutes {
  /** The exposition text and its content type. */
  metrics(): Promise<{ contentType: string; body: string }>
  /** null when ready, else the reason. */
  notReadyReason(): string | null
}

/** Serves the paths the three routes above do not; resolves false when it has nothing there. */
export type MountedRoutes = (req: IncomingMessage, res: ServerResponse, path: string) => Promise<boolean>

export class HttpListenerServer {
  private readonly server: Server
  private readonly routes: HttpRoutes
  private readonly log: Logger
  private bound: { host: string; port: number } | null = null
  private mounted: MountedRoutes | null = null

  constructor(routes: HttpRoutes, log: Logger) {
    this.routes = routes
    this.log = log
    this.server = createServer((req, res) => {
      this.serve(req, res).catch((err) => {
        this.log.error(`HTTP ${req.method} ${req.url} failed`, err)
        if (!res.headersSent) reply(res, 500, 'internal error\n')
        else res.destroy()
      })
    })
    // Scrapers poll every few seconds; keep their connections but do not hold idle ones forever.
    this.server.keepAliveTimeout = 65_000
  }

  get address(): { host: string; port: number } {
    if (this.bound === null) throw new Error('HTTP listener not started')
    return this.bound
  }

  /** Adds routes under every other path (the console, mounted once the broker's parts exist). */
  mount(routes: MountedRoutes | null): void {
    this.mounted = routes
  }

  async listen(host: string, port: number): Promise<{ host: string; port: number }> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen({ host: host || undefined, port }, () => {
        this.server.off('error', reject)
        resolve()
      })
    })
    this.server.on('error', (err) => this.log.error('HTTP listener failed', err))
    const a = this.server.address()
    if (a === null || typeof a === 'string') throw new Error('HTTP listener has no address')
    this.bound = { host: host || a.address, port: a.port }
    return this.bound
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!
    const own = path === '/healthz' || path === '/readyz' || path === '/metrics'
    if (!own && this.mounted !== null && (await this.mounted(req, res, path))) return
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD')
      reply(res, 405, 'method not allowed\n')
      return
    }
    if (path === '/healthz') {
      reply(res, 200, 'ok\n')
      return
    }
    if (path === '/readyz') {
      const reason = this.routes.notReadyReason()
      reply(res, reason === null ? 200 : 503, reason === null ? 'ready\n' : `not ready: ${reason}\n`)
      return
    }
    if (path === '/metrics') {
      const m = await this.routes.metrics()
      reply(res, 200, m.body, m.contentType)
      return
    }
    reply(res, 404, 'not found: try /metrics, /healthz, /readyz or / (the console)\n')
  }

  async close(): Promise<void> {
    if (!this.server.listening) return
    const closed = new Promise<void>((r) => this.server.close(() => r()))
    this.server.closeAllConnections()
    await closed
  }
}

function reply(
  res: ServerResponse,
  status: number,
  body: string,
  contentType = 'text/plain; charset=utf-8',
): void {
  res.statusCode = status
  res.setHeader('Content-Type', contentType)
  res.setHeader('Content-Length', Buffer.byteLength(body))
  res.setHeader('Cache-Control', 'no-store')
  res.end(res.req.method === 'HEAD' ? undefined : body)
}
