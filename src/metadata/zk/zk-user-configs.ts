// User configs in ZooKeeper mode, Kafka's layout: `/config/users/<sanitized user>` holds
// {"version":1,"config":{"SCRAM-SHA-512":"salt=...,stored_key=...,server_key=...,iterations=4096"}}
// and every change adds a `/config/changes/config_change_<n>` notification naming `users/<user>`
// (what Kafka's ConfigCommand writes, so Kafka brokers and tools see the same users).
// Reads go to ZooKeeper each time: an authentication reads one user once, and a credential changed
// through any broker (or by Kafka's own tool) is used at once.

import { Serial } from '../config-map-file.ts'
import { desanitizeEntityName, sanitizeEntityName, type UserConfigStore } from '../user-config-store.ts'
import type { ZkClient } from './zk-client.ts'
import { decodeEntityConfig, encodeConfigChange, encodeEntityConfig, ZkPaths } from './znodes.ts'

const USERS = '/config/users'

export class ZkUserConfigStore implements UserConfigStore {
  private readonly zk: ZkClient
  private readonly serial = new Serial()

  constructor(zk: ZkClient) {
    this.zk = zk
  }

  async get(user: string): Promise<ReadonlyMap<string, string>> {
    const got = await this.zk.getData(`${USERS}/${sanitizeEntityName(user)}`)
    return got === null ? new Map() : decodeEntityConfig(got.data)
  }

  async users(): Promise<string[]> {
    const names = (await this.zk.getChildren(USERS)) ?? []
    const out: string[] = []
    for (const n of names) {
      // Entries like `<user>/clients/<client>` are children of the user node, not users of their own.
      if ((await this.get(desanitizeEntityName(n))).size > 0) out.push(desanitizeEntityName(n))
    }
    return out.sort()
  }

  update(
    user: string,
    change: { set?: ReadonlyMap<string, string>; remove?: readonly string[] },
  ): Promise<ReadonlyMap<string, string>> {
    return this.serial.run(async () => {
      const path = `${USERS}/${sanitizeEntityName(user)}`
      const configs = new Map(await this.get(user))
      for (const k of change.remove ?? []) configs.delete(k)
      for (const [k, v] of change.set ?? []) configs.set(k, v)
      const data = encodeEntityConfig(configs)
      try {
        await this.zk.setData(path, data)
      } catch (e) {
        if ((e as { code?: string }).code !== 'NO_NODE') throw e
        await this.zk.mkdirp(USERS)
        await this.zk.create(path, data, 'persistent')
      }
      await this.zk.create(
        ZkPaths.configChangePrefix,
        encodeConfigChange(`users/${sanitizeEntityName(user)}`),
        'persistent_sequential',
      )
      return configs
    })
  }
}
