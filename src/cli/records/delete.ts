// kafka-delete-records.sh (Kafka's DeleteRecordsCommand): deletes the records of the partitions
// listed in --offset-json-file up to the given offsets and prints each partition's new low
// watermark:
//
//   {"partitions": [{"topic": "foo", "partition": 1, "offset": 1}], "version": 1}

import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { OptionDef } from '../args/option-parser.ts'
import { checkRequired, parseCommandLine } from '../common/command.ts'
import { ToolExit } from '../common/exit.ts'
import type { Io } from '../common/io.ts'
import { closeQuietly, errorMessage, openAdmin } from '../common/kafka.ts'
import { loadProps } from '../common/props.ts'

export const DELETE_RECORDS_OPTIONS: readonly OptionDef[] = [
  {
    name: 'bootstrap-server',
    help: 'REQUIRED: The server to connect to.',
    arg: 'required',
    describedAs: 'server(s) to use for bootstrapping',
  },
  {
    name: 'offset-json-file',
    help: 'REQUIRED: The JSON file with offset per partition. The format to use is:\n{"partitions":\n  [{"topic": "foo", "partition": 1, "offset": 1}],\n "version":1\n}',
    arg: 'required',
    describedAs: 'Offset json file path',
  },
  {
    name: 'command-config',
    help: 'A property file containing configs to be passed to Admin Client.',
    arg: 'required',
    describedAs: 'command config property file path',
  },
]

export interface DeleteEntry {
  topic: string
  partition: number
  offset: bigint
}

/** Reads the offset JSON; duplicate partitions and other problems are errors worded as Kafka's. */
export function parseOffsetJson(text: string): DeleteEntry[] {
  let js: unknown
  try {
    js = JSON.parse(text)
  } catch {
    throw new Error('The input string is not a valid JSON')
  }
  if (js === null || typeof js !== 'object' || Array.isArray(js))
    throw new Error('The input string is not a valid JSON')
  const obj = js as { version?: unknown; partitions?: unknown }
  const version = obj.version === undefined ? 1 : obj.version
  if (version !== 1) throw new Error(`Not supported version field value ${String(version)}`)
  if (!Array.isArray(obj.partitions)) throw new Error('Missing partitions field')
  const seen = new Map<string, number>()
  const out: DeleteEntry[] = []
  for (const p of obj.partitions as { topic?: unknown; partition?: unknown; offset?: unknown }[]) {
    if (typeof p?.topic !== 'string') throw new Error("Missing required field 'topic'")
    if (!Number.isInteger(p.partition)) throw new Error("Missing required field 'partition'")
    if (!Number.isInteger(p.offset)) throw new Error("Missing required field 'offset'")
    const key = `${p.topic}-${p.partition}`
    seen.set(key, (seen.get(key) ?? 0) + 1)
    out.push({ topic: p.topic, partition: p.partition as number, offset: BigInt(p.offset as number) })
  }
  const dups = [...seen].filter(([, n]) => n > 1).map(([k]) => k)
  if (dups.length > 0)
    throw new Error(`Offset json file contains duplicate topic partitions: ${dups.join(',')}`)
  return out
}

export async function run(argv: readonly string[], io: Io): Promise<number> {
  const defs = DELETE_RECORDS_OPTIONS
  const opts = parseCommandLine(defs, argv, {
    purpose: 'This tool helps to delete records of the given partitions down to the specified offset.',
  })
  checkRequired(defs, opts, 'bootstrap-server', 'offset-json-file')
  let entries: DeleteEntry[]
  try {
    entries = parseOffsetJson(readFileSync(resolve(io.cwd, opts.value('offset-json-file')!), 'utf8'))
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    throw new ToolExit(
      1,
      `${code === 'ENOENT' ? `${opts.value('offset-json-file')} (No such file or directory)` : (e as Error).message}\n`,
    )
  }
  const props = opts.has('command-config')
    ? loadProps(opts.value('command-config')!, io.cwd)
    : new Map<string, string>()
  const admin = await openAdmin('adminclient-1', opts.value('bootstrap-server')!, props)
  try {
    io.out('Executing records delete operation\n')
    const lines: string[] = []
    // One request per partition, so that one partition's error does not hide the others' results.
    for (const e of entries) {
      try {
        const r = await admin.deleteRecords({
          topics: [{ name: e.topic, partitions: [{ partition: e.partition, offset: e.offset }] }],
        })
        const low = r[0]?.partitions[0]?.lowWatermark
        lines.push(`partition: ${e.topic}-${e.partition}\tlow_watermark: ${low}`)
      } catch (err) {
        lines.push(`partition: ${e.topic}-${e.partition}\terror: ${errorMessage(err)}`)
      }
    }
    io.out('Records delete operation completed:\n')
    for (const l of lines) io.out(`${l}\n`)
    return 0
  } finally {
    await closeQuietly(admin)
  }
}
