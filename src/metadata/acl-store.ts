// Where ACLs are kept. The authorizer holds every ACL in memory (an authorization is a few map
// lookups) and goes to the store only to load, to change one resource pattern, and to hear about
// changes made by other brokers. Two implementations:
// - ZooKeeper mode (`zk/zk-acl-store.ts`): Kafka's znodes (`/kafka-acl/<Type>/<name>`,
//   `/kafka-acl-extended/prefixed/<Type>/<name>`) with change notifications, so Kafka's tools and
//   every broker see the same ACLs;
// - embedded mode (here): `samsa-acls.json` next to the embedded store's files in the first log dir,
//   replaced atomically on every change:
//     {"version":1,"resources":[{"resourceType":"Topic","patternType":"LITERAL","name":"t",
//       "acls":[{"principal":"User:alice","permissionType":"Allow","operation":"Write","host":"*"}]}]}
// The ACL list of one pattern uses the JSON entries of Kafka's znodes in both modes.

import { join } from 'node:path'
import { type Fs, isNotFound, writeFileAtomic } from '../common/fs.ts'
import {
  type AclEntry,
  operationName,
  PatternType,
  parseOperation,
  parsePermission,
  parseResourceType,
  patternKey,
  permissionName,
  type ResourcePattern,
  resourceZkName,
} from '../security/acl-types.ts'
import { Serial } from './config-map-file.ts'

export interface ResourceAcls {
  readonly pattern: ResourcePattern
  readonly acls: readonly AclEntry[]
}

export interface AclStore {
  /** Every pattern with ACLs, keyed by `patternKey`. */
  loadAll(): Promise<Map<string, ResourceAcls>>
  /**
   * Read-modify-write of one pattern's ACLs (serialized; conditional on the znode version in
   * ZooKeeper mode); an empty result removes the pattern. Returns the ACLs as stored.
   */
  update(
    pattern: ResourcePattern,
    change: (acls: readonly AclEntry[]) => AclEntry[],
  ): Promise<readonly AclEntry[]>
  /** `onChange` runs after another writer changed ACLs; returns the unsubscribe. */
  watch(onChange: () => void): () => void
}

/** Kafka's znode JSON for one pattern's ACLs. */
export function encodeAcls(acls: readonly AclEntry[]): Buffer {
  return Buffer.from(
    JSON.stringify({
      version: 1,
      acls: acls.map((a) => ({
        principal: a.principal,
        permissionType: permissionName(a.permissionType),
        operation: operationName(a.operation),
        host: a.host,
      })),
    }),
    'utf8',
  )
}

export function decodeAcls(data: Buffer | string | null): AclEntry[] {
  if (data === null) return []
  let doc: unknown
  try {
    doc = JSON.parse(data.toString())
  } catch {
    return []
  }
  const list = (doc as { acls?: unknown }).acls
  if (!Array.isArray(list)) return []
  const out: AclEntry[] = []
  for (const a of list as Record<string, unknown>[]) {
    const operation = parseOperation(String(a.operation ?? ''))
    const permissionType = parsePermission(String(a.permissionType ?? ''))
    if (operation === null || permissionType === null || typeof a.principal !== 'string') continue
    out.push({
      principal: a.principal,
      host: typeof a.host === 'string' ? a.host : '*',
      operation,
      permissionType,
    })
  }
  return out
}

export const ACLS_FILE = 'samsa-acls.json'

export class FileAclStore implements AclStore {
  private readonly fs: Fs
  private readonly path: string
  private readonly serial = new Serial()

  constructor(fs: Fs, logDir: string) {
    this.fs = fs
    this.path = join(logDir, ACLS_FILE)
  }

  async loadAll(): Promise<Map<string, ResourceAcls>> {
    let buf: Buffer
    try {
      buf = await this.fs.readFile(this.path)
    } catch (e) {
      if (isNotFound(e)) return new Map()
      throw e
    }
    const doc = JSON.parse(buf.toString('utf8')) as { version?: unknown; resources?: unknown }
    if (doc.version !== 1 || !Array.isArray(doc.resources))
      throw new Error(`${this.path}: not a version 1 ACL file`)
    const out = new Map<string, ResourceAcls>()
    for (const r of doc.resources as Record<string, unknown>[]) {
      const resourceType = parseResourceType(String(r.resourceType ?? ''))
      const patternType = r.patternType === 'PREFIXED' ? PatternType.PREFIXED : PatternType.LITERAL
      if (resourceType === null || typeof r.name !== 'string') continue
      const pattern = { resourceType, patternType, name: r.name }
      const acls = decodeAcls(JSON.stringify(r))
      if (acls.length > 0) out.set(patternKey(pattern), { pattern, acls })
    }
    return out
  }

  update(
    pattern: ResourcePattern,
    change: (acls: readonly AclEntry[]) => AclEntry[],
  ): Promise<readonly AclEntry[]> {
    return this.serial.run(async () => {
      const all = await this.loadAll()
      const key = patternKey(pattern)
      const acls = change(all.get(key)?.acls ?? [])
      if (acls.length === 0) all.delete(key)
      else all.set(key, { pattern, acls })
      const resources = [...all.values()]
        .sort((a, b) => (patternKey(a.pattern) < patternKey(b.pattern) ? -1 : 1))
        .map((r) => ({
          resourceType: resourceZkName(r.pattern.resourceType),
          patternType: r.pattern.patternType === PatternType.PREFIXED ? 'PREFIXED' : 'LITERAL',
          name: r.pattern.name,
          acls: (JSON.parse(encodeAcls(r.acls).toString('utf8')) as { acls: unknown }).acls,
        }))
      const text = `${JSON.stringify({ version: 1, resources }, null, 2)}\n`
      await writeFileAtomic(this.fs, this.path, Buffer.from(text, 'utf8'))
      return acls
    })
  }

  /** One broker owns the file: nobody else changes it. */
  watch(): () => void {
    return () => {}
  }
}
