// The web console on the broker's HTTP listener: the page at `/`, its files under /console/, and
// a JSON API under /api/ over the broker's own services (console-services.ts). Mounted on the
// HttpListenerServer by broker/observability-wiring.ts; /metrics, /healthz and /readyz stay open.
//
// Access: samsa.http.console.auth=basic asks every console request for HTTP basic auth against
// the SASL users (basic-auth.ts); samsa.http.console.read.only=true answers 403 to every request
// that would change something. Changes must be sent as application/json, which a cross-site form
// cannot do without a CORS preflight this server never grants.
//
// API (JSON; 64-bit offsets and timestamps as decimal strings):
//   GET    /api/session                          read-only flag, authenticated user
//   GET    /api/overview                         brokers, controller, partition counts
//   GET    /api/topics                           topic summaries
//   POST   /api/topics                           create {name, partitions?, replicationFactor?, configs?}
//   GET    /api/topics/:t                        partitions (leader, ISR, offsets, sizes) and configs
//   DELETE /api/topics/:t                        delete
//   POST   /api/topics/:t/partitions             add partitions {count: new total}
//   PATCH  /api/topics/:t/configs                {set: {k: v}, delete: [k]}
//   GET    /api/topics/:t/partitions/:p/records  ?offset= | ?timestamp= (ms), &limit=
//   POST   /api/topics/:t/records                produce {value, key?, partition?, headers?}
//   GET    /api/groups, /api/groups/:g           groups, members, assignments, lag
//   GET    /api/timeseries                       the last ~10 minutes of rates, latencies, lag

import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Logger } from '../../common/logger.ts'
import { BasicAuth } from './basic-auth.ts'
import { overview, topicDetail, topicList } from './cluster-view.ts'
import { ApiError, readJson, sendError, sendJson } from './console-http.ts'
import type { ConsoleDeps } from './console-services.ts'
import { groupDetail, groupList } from './groups-view.ts'
import { browse, produce } from './messages.ts'
import { loadStaticFiles, type StaticFile } from './static-files.ts'
import { TimeSeries } from './time-series.ts'
import { addPartitions, alterTopicConfigs, createTopic, deleteTopic } from './topic-admin.ts'

type Route = (p: {
  req: IncomingMessage
  params: string[]
  query: URLSearchParams
  body: () => Promise<Record<string, unknown>>
  user: string | null
}) => unknown

interface RouteDef {
  readonly method: string
  readonly pattern: RegExp
  readonly run: Route
}

const SEG = '([^/]+)'

export class WebConsole {
  readonly series: TimeSeries
  private readonly d: ConsoleDeps
  private readonly log: Logger
  private readonly auth: BasicAuth | null
  private readonly files: Map<string, StaticFile>
  private readonly routes: RouteDef[]

  constructor(d: ConsoleDeps, log: Logger, series?: TimeSeries) {
    this.d = d
    this.log = log
    this.auth = d.users === null ? null : new BasicAuth(d.users, () => d.now())
    const loaded = loadStaticFiles()
    this.files = loaded.files
    if (loaded.missing.length > 0)
      log.warn(`web console: cannot serve ${loaded.missing.join(' and ')}; its API still answers`)
    this.series = series ?? new TimeSeries(d)
    const s = d.services
    const r = (method: string, path: string, run: Route): RouteDef => ({
      method,
      pattern: new RegExp(`^/api${path.replaceAll(':x', SEG)}$`),
      run,
    })
    this.routes = [
      r('GET', '/session', ({ user }) => ({ readOnly: d.readOnly, auth: d.users !== null, user })),
      r('GET', '/overview', () => overview(d)),
      r('GET', '/topics', () => topicList(d)),
      r('POST', '/topics', async ({ body }) => createTopic(s, await body(), log)),
      r('GET', '/topics/:x', ({ params }) => topicDetail(d, params[0]!)),
      r('DELETE', '/topics/:x', ({ params }) => deleteTopic(s, params[0]!, log)),
      r('POST', '/topics/:x/partitions', async ({ params, body }) =>
        addPartitions(s, params[0]!, await body(), log),
      ),
      r('PATCH', '/topics/:x/configs', async ({ params, body }) =>
        alterTopicConfigs(s, params[0]!, await body(), log),
      ),
      r('GET', '/topics/:x/partitions/(\\d+)/records', ({ params, query }) =>
        browse(d, params[0]!, Number(params[1]), {
          offset: query.get('offset') ?? undefined,
          timestamp: query.get('timestamp') ?? undefined,
          limit: query.get('limit') ?? undefined,
        }),
      ),
      r('POST', '/topics/:x/records', async ({ params, body }) => produce(d, params[0]!, await body())),
      r('GET', '/groups', () => groupList(d)),
      r('GET', '/groups/:x', ({ params }) => groupDetail(d, params[0]!)),
      r('GET', '/timeseries', () => this.series.snapshot()),
    ]
  }

  start(): void {
    this.series.start()
  }

  stop(): void {
    this.series.stop()
  }

  /** The HttpListenerServer's mounted routes: false for paths that are not the console's. */
  async serve(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> {
    const file = this.files.get(path === '/index.html' ? '/' : path)
    const api = path === '/api' || path.startsWith('/api/')
    if (file === undefined && !api) return false
    let user: string | null = null
    if (this.auth !== null) {
      user = await this.auth.check(req.headers.authorization)
      if (user === null) {
        res.setHeader('WWW-Authenticate', 'Basic realm="Samsa console", charset="UTF-8"')
        sendJson(res, 401, { error: 'authentication required: a SASL user (SCRAM or PLAIN) and password' })
        return true
      }
    }
    if (file !== undefined) {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.setHeader('Allow', 'GET, HEAD')
        sendJson(res, 405, { error: 'method not allowed' })
        return true
      }
      res.statusCode = 200
      res.setHeader('Content-Type', file.type)
      res.setHeader('Content-Length', file.body.length)
      res.setHeader('Cache-Control', 'no-cache')
      res.setHeader('X-Content-Type-Options', 'nosniff')
      res.end(req.method === 'HEAD' ? undefined : file.body)
      return true
    }
    try {
      sendJson(res, 200, await this.api(req, path, user))
    } catch (e) {
      if (e instanceof ApiError) sendError(res, e)
      else {
        this.log.error(`console ${req.method} ${path} failed`, e)
        sendError(res, new ApiError(500, (e as Error).message))
      }
    }
    return true
  }

  private async api(req: IncomingMessage, path: string, user: string | null): Promise<unknown> {
    const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET')
    const url = new URL(req.url ?? '/', 'http://console')
    let known = false
    for (const route of this.routes) {
      const m = route.pattern.exec(path)
      if (m === null) continue
      known = true
      if (route.method !== method) continue
      if (method !== 'GET') {
        if (this.d.readOnly)
          throw new ApiError(403, 'the console is read-only (samsa.http.console.read.only=true)')
        if (!/^application\/json\b/i.test(req.headers['content-type'] ?? ''))
          throw new ApiError(415, 'changes must be sent as application/json')
      }
      let params: string[]
      try {
        params = m.slice(1).map((x) => decodeURIComponent(x))
      } catch {
        throw new ApiError(400, `malformed path ${path}`)
      }
      return await route.run({ req, params, query: url.searchParams, body: () => readJson(req), user })
    }
    throw new ApiError(known ? 405 : 404, known ? `${method} not allowed here` : `no API at ${path}`)
  }
}
