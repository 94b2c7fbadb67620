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
import type { Fs } from '../common/fs.ts'
import { ConfigMapFile } from './config-map-file.ts'

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

export class FileUserConfigStore implements UserConfigStore {
  private readonly file: ConfigMapFile

  constructor(fs: Fs, logDir: string) {
    this.file = new ConfigMapFile(fs, join(logDir, USERS_FILE), 'users', 'users')
  }

  async get(user: string): Promise<ReadonlyMap<string, string>> {
    return (await this.file.load()).get(user) ?? new Map()
  }

  async users(): Promise<string[]> {
    return [...(await this.file.load()).keys()].sort()
  }

  update(
    user: string,
    change: { set?: ReadonlyMap<string, string>; remove?: readonly string[] },
  ): Promise<ReadonlyMap<string, string>> {
    return this.file.update(user, change.set ?? [], change.remove ?? [])
  }
}
