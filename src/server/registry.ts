// The handler table, indexed by api key. It answers "which versions do we serve", which is what
// ApiVersions advertises: nothing is advertised that has no handler, nor what a handler marks
// `advertised: false` (inter-broker APIs no client sends; handler.ts).

import type { AnyHandler } from './handler.ts'

export interface ApiRange {
  apiKey: number
  minVersion: number
  maxVersion: number
}

export class Registry<S = unknown> {
  private readonly table: (AnyHandler<S> | undefined)[] = []

  constructor(handlers: readonly AnyHandler<S>[]) {
    for (const h of handlers) {
      if (this.table[h.apiKey] !== undefined) throw new Error(`two handlers for api key ${h.apiKey}`)
      if (h.minVersion < h.request.minVersion || h.maxVersion > h.request.maxVersion) {
        throw new Error(
          `${h.request.name}: handler versions ${h.minVersion}-${h.maxVersion} outside the schema`,
        )
      }
      this.table[h.apiKey] = h
    }
  }

  get(apiKey: number): AnyHandler<S> | undefined {
    return apiKey >= 0 ? this.table[apiKey] : undefined
  }

  /** Advertised served ranges in api-key order: the body of an ApiVersions response. */
  ranges(): ApiRange[] {
    const out: ApiRange[] = []
    for (const h of this.table) {
      if (h !== undefined && h.advertised !== false)
        out.push({ apiKey: h.apiKey, minVersion: h.minVersion, maxVersion: h.maxVersion })
    }
    return out
  }
}
