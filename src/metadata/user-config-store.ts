// Per-user dynamic configs: where SCRAM credentials are kept (keys `SCRAM-SHA-256`/`SCRAM-SHA-512`,
// values in Kafka's `salt=...,stored_key=...,server_key=...,iterations=...` form; only salted keys,
// never passwords). Two implementations behind one interface:
// - ZooKeeper mode (`zk/zk-user-configs.ts`): Kafka's znode `/config/users/<sanitized user>` =
//   {"version":1,"config":{...}} plus a `/config/changes` notification `users/<user>`, so Kafka's
//   tools read and write the same credentials;
// - embedded mode (here): `samsa-users.json` next to the embedded store's `samsa-metadata.json` in
//   the first log dir, replaced atomically on every change:
//     {"version":1,"users":{"alice":{"SCRAM-SHA-512":"salt=...,..."}}}
// Reads go to the source each time (one authentication reads one user), so a credential changed
// on any broker is used by the next authentication everywhere. Writes are serialized.

import { join } from 'node:path'
import { type Fs, isNotFound, writeFileAtomic } from '../common/fs.ts'

export interface UserConfigStore {
  /** The user's configs (empty when none). */
  get(user: string): Promise<ReadonlyMap<string, string>>
  /** Every user with configs. */
  users(): Promise<string[]>
  /**
   * Changes one user's configs: `set` entries are written, `remove` keys deleted. Serialized with
   * every other change; returns the configs as stored.
   */
  update(
    user: string,
    change: { set?: ReadonlyMap<string, string>; remove?: readonly string[] },
  ): Promise<ReadonlyMap<string, string>>
}

/** Kafka's Sanitizer: URL-encode (space as %20) with `*` as %2A, used for znode names. */
export function sanitizeEntityName(name: string): string {
  return encodeURIComponent(name).replace(
    /[!'()~*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  )
}

export function desanitizeEntityName(name: string): string {
  return decodeURIComponent(name)
}

export const USERS_FILE = 'samsa-users.json'

/** Runs tasks one after another. */
export class Serial {
  private tail: Promise<unknown> = Promise.resolve()
  run<T>(task: () => Promise<T>): Promise<T> {
    const next = this.tail.then(task, task)
    this.tail = next.catch(() => {})
    return next
  }
}

export class FileUserConfigStore implements UserConfigStore {
  private readonly fs: Fs
  private readonly path: string
  private readonly serial = new Serial()

  constructor(fs: Fs, logDir: string) {
    this.fs = fs
    this.path = join(logDir, USERS_FILE)
  }

  private async load(): Promise<Map<string, Map<string, string>>> {
    let buf: Buffer
    try {
      buf = await this.fs.readFile(this.path)
    } catch (e) {
      if (isNotFound(e)) return new Map()
      throw e
    }
    const doc = JSON.parse(buf.toString('utf8')) as { version?: unknown; users?: unknown }
    if (doc.version !== 1 || typeof doc.users !== 'object' || doc.users === null)
      throw new Error(`${this.path}: not a version 1 users file`)
    const out = new Map<string, Map<string, string>>()
    for (const [user, configs] of Object.entries(doc.users as Record<string, unknown>)) {
      const m = new Map<string, string>()
      if (typeof configs === 'object' && configs !== null)
        for (const [k, v] of Object.entries(configs as Record<string, unknown>))
          if (typeof v === 'string') m.set(k, v)
      out.set(user, m)
    }
    return out
  }

  async get(user: string): Promise<ReadonlyMap<string, string>> {
    return (await this.load()).get(user) ?? new Map()
  }

  async users(): Promise<string[]> {
    return [...(await this.load()).keys()].sort()
  }

  update(
    user: string,
    change: { set?: ReadonlyMap<string, string>; remove?: readonly string[] },
  ): Promise<ReadonlyMap<string, string>> {
    return this.serial.run(async () => {
      const all = await this.load()
      const configs = new Map(all.get(user) ?? [])
      for (const k of change.remove ?? []) configs.delete(k)
      for (const [k, v] of change.set ?? []) configs.set(k, v)
      if (configs.size === 0) all.delete(user)
      else all.set(user, configs)
      const doc = {
        version: 1,
        users: Object.fromEntries(
          [...all].sort(([a], [b]) => (a < b ? -1 : 1)).map(([u, c]) => [u, Object.fromEntries(c)]),
        ),
      }
      await writeFileAtomic(this.fs, this.path, Buffer.from(`${JSON.stringify(doc, null, 2)}\n`, 'utf8'))
      return configs
    })
  }
}
