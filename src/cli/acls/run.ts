// kafka-acls.sh: add, remove and list ACLs through CreateAcls / DeleteAcls / DescribeAcls, printing
// what Kafka's AclCommand prints:
//
//   Adding ACLs for resource `ResourcePattern(resourceType=TOPIC, name=t, patternType=LITERAL)`:
//    	(principal=User:alice, host=*, operation=WRITE, permissionType=ALLOW)
//
//   Current ACLs for resource `ResourcePattern(resourceType=TOPIC, name=t, patternType=LITERAL)`:
//    	(principal=User:alice, host=*, operation=WRITE, permissionType=ALLOW)
//
// --remove asks for confirmation on standard input unless --force is given.

import { createInterface } from 'node:readline'
import type { Admin } from '@platformatic/kafka'
import {
  type AclBinding,
  type AclEntry,
  type AclFilter,
  entryString,
  patternKey,
  patternString,
  patternTypeUpper,
  type ResourcePattern,
  resourceTypeUpper,
} from '../../security/acl-types.ts'
import { ToolExit } from '../common/exit.ts'
import type { Io } from '../common/io.ts'
import { closeQuietly, errorMessage, openAdmin } from '../common/kafka.ts'
import { loadProps } from '../common/props.ts'
import { parseAclOptions } from './options.ts'

const patternText = patternString
const entryText = entryString

/** One block of AclCommand's output: a heading, then one tab-indented entry per line. */
export function block(heading: string, entries: readonly AclEntry[]): string {
  return `${heading}: \n ${entries.map((e) => `\t${entryText(e)}`).join('\n ')} \n\n`
}

function grouped(bindings: readonly AclBinding[]): { pattern: ResourcePattern; entries: AclEntry[] }[] {
  const m = new Map<string, { pattern: ResourcePattern; entries: AclEntry[] }>()
  for (const b of bindings) {
    const k = patternKey(b.pattern)
    const g = m.get(k) ?? { pattern: b.pattern, entries: [] }
    g.entries.push(b.entry)
    m.set(k, g)
  }
  return [...m.values()]
}

const wireFilter = (f: AclFilter) => ({
  resourceType: f.resourceType,
  resourceName: f.name,
  resourcePatternType: f.patternType,
  principal: f.principal,
  host: f.host,
  operation: f.operation,
  permissionType: f.permissionType,
})

async function describe(admin: Admin, f: AclFilter): Promise<AclBinding[]> {
  const resources = await admin.describeAcls({ filter: wireFilter(f) as never })
  return resources.flatMap((r) =>
    r.acls.map((a) => ({
      pattern: { resourceType: r.resourceType, name: r.resourceName, patternType: r.resourcePatternType },
      entry: {
        principal: a.principal,
        host: a.host,
        operation: a.operation,
        permissionType: a.permissionType,
      },
    })),
  )
}

async function printCurrent(
  admin: Admin,
  filters: readonly AclFilter[],
  principals: readonly string[],
  io: Io,
) {
  const found: AclBinding[] = []
  for (const f of filters) found.push(...(await describe(admin, f)))
  const kept = principals.length === 0 ? found : found.filter((b) => principals.includes(b.entry.principal))
  const groups = grouped(kept)
  if (principals.length > 0) {
    for (const p of principals) {
      const mine = groups
        .map((g) => ({ ...g, entries: g.entries.filter((e) => e.principal === p) }))
        .filter((g) => g.entries.length > 0)
      for (const g of mine)
        io.out(
          block(
            `ACLs for principal \`${p}\`\nCurrent ACLs for resource \`${patternText(g.pattern)}\``,
            g.entries,
          ),
        )
    }
    return
  }
  for (const g of groups) io.out(block(`Current ACLs for resource \`${patternText(g.pattern)}\``, g.entries))
}

async function confirmed(io: Io, question: string): Promise<boolean> {
  io.out(question)
  const rl = createInterface({ input: io.stdin })
  try {
    for await (const line of rl) return line.trim().toLowerCase() === 'y'
    return false
  } finally {
    rl.close()
  }
}

export async function run(argv: readonly string[], io: Io): Promise<number> {
  let admin: Admin | undefined
  try {
    const cmd = parseAclOptions(argv)
    const props =
      cmd.commandConfig === null ? new Map<string, string>() : loadProps(cmd.commandConfig, io.cwd)
    admin = await openAdmin('adminclient-acls', cmd.bootstrap, props)
    if (cmd.action === 'add') {
      const groups = grouped(cmd.bindings)
      for (const g of groups)
        io.out(block(`Adding ACLs for resource \`${patternText(g.pattern)}\``, g.entries))
      await admin.createAcls({
        creations: cmd.bindings.map((b) => ({
          resourceType: b.pattern.resourceType,
          resourceName: b.pattern.name,
          resourcePatternType: b.pattern.patternType,
          ...b.entry,
        })) as never,
      })
      await printCurrent(
        admin,
        groups.map((g) => ({
          resourceType: g.pattern.resourceType,
          name: g.pattern.name,
          patternType: g.pattern.patternType,
          principal: null,
          host: null,
          operation: 1,
          permissionType: 1,
        })),
        [],
        io,
      )
    } else if (cmd.action === 'remove') {
      for (const f of cmd.filters) {
        const what =
          f.principal === null
            ? `Are you sure you want to delete all ACLs for resource filter \`ResourcePattern(resourceType=${resourceTypeUpper(f.resourceType)}, name=${f.name}, patternType=${patternTypeUpper(f.patternType)})\`? (y/n)\n`
            : `Are you sure you want to remove ACLs: \n \t${entryText(f as AclEntry)} \n from resource filter \`ResourcePattern(resourceType=${resourceTypeUpper(f.resourceType)}, name=${f.name}, patternType=${patternTypeUpper(f.patternType)})\`? (y/n)\n`
        if (!cmd.force && !(await confirmed(io, what))) return 0
      }
      await admin.deleteAcls({ filters: cmd.filters.map(wireFilter) as never })
      await printCurrent(
        admin,
        cmd.filters.map((f) => ({ ...f, principal: null, host: null, operation: 1, permissionType: 1 })),
        [],
        io,
      )
    } else await printCurrent(admin, cmd.filters, cmd.principals, io)
    return 0
  } catch (e) {
    if (e instanceof ToolExit) throw e
    io.err(`Error while executing ACL command: ${errorMessage(e)}\n`)
    return 1
  } finally {
    await closeQuietly(admin)
  }
}
