// A JSON file of named config maps in the first log dir, for the embedded (no-ZooKeeper) mode's
// dynamic entity configs: {"version":1,"<section>":{"<name>":{"<key>":"<value>",...}}}. SCRAM
// credentials per user (`samsa-users.json`, section "users") and client quotas per entity
// (`samsa-client-quotas.json`, section "entities") use it. Read from the file each time; changes
// are serialized and the file replaced atomically; a name left with no config is dropped.

import { type Fs, isNotFound, writeFileAtomic } from '../common/fs.ts'

/** Runs tasks one after another. */
export class Serial {
  private tail: Promise<unknown> = Promise.resolve()
  run<T>(task: () => Promise<T>): Promise<T> {
    const next = this.tail.then(task, task)
    this.tail = next.catch(() => {})
    return next
  }
}

export class ConfigMapFile {
  private readonly serial = new Serial()
  private readonly fs: Fs
  readonly path: string
  private readonly section: string
  /** What the file holds, for the error on a malformed file ("users", "client quotas"). */
  private readonly what: string

  constructor(fs: Fs, path: string, section: string, what: string) {
    this.fs = fs
    this.path = path
    this.section = section
    this.what = what
  }

  async load(): Promise<Map<string, Map<string, string>>> {
    let buf: Buffer
    try {
      buf = await this.fs.readFile(this.path)
    } catch (e) {
      if (isNotFound(e)) return new Map()
      throw e
    }
    const doc = JSON.parse(buf.toString('utf8')) as Record<string, unknown>
    const body = doc[this.section]
    if (doc.version !== 1 || typeof body !== 'object' || body === null)
      throw new Error(`${this.path}: not a version 1 ${this.what} file`)
    const out = new Map<string, Map<string, string>>()
    for (const [name, configs] of Object.entries(body as Record<string, unknown>)) {
      const m = new Map<string, string>()
      if (typeof configs === 'object' && configs !== null)
        for (const [k, v] of Object.entries(configs as Record<string, unknown>))
          if (typeof v === 'string') m.set(k, v)
      out.set(name, m)
    }
    return out
  }

  /** Sets and removes keys of one name (serialized with every other change); returns its configs. */
  update(
    name: string,
    set: Iterable<readonly [string, string]>,
    remove: Iterable<string>,
  ): Promise<ReadonlyMap<string, string>> {
    return this.serial.run(async () => {
      const all = await this.load()
      const configs = new Map(all.get(name) ?? [])
      for (const k of remove) configs.delete(k)
      for (const [k, v] of set) configs.set(k, v)
      if (configs.size === 0) all.delete(name)
      else all.set(name, configs)
      const doc = {
        version: 1,
        [this.section]: Object.fromEntries(
          [...all].sort(([a], [b]) => (a < b ? -1 : 1)).map(([n, c]) => [n, Object.fromEntries(c)]),
        ),
      }
      await writeFileAtomic(this.fs, this.path, Buffer.from(`${JSON.stringify(doc, null, 2)}\n`, 'utf8'))
      return configs
    })
  }
}
