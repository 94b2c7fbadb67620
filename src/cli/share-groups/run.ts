// kafka-share-groups.sh (Kafka's ShareGroupCommand): `--list` asks every broker for the share
// groups it coordinates (ListGroups v5, type filter "share"); `--describe --group G` finds the
// group's coordinator (FindCoordinator) and prints its ShareGroupDescribe answer, as members
// (`--members`, the default here) or as the group's state (`--state`). @platformatic/kafka has no
// share group APIs, so requests go through Samsa's own wire client (src/client).
// Not implemented: the offsets view (Kafka's default --describe, which needs
// DescribeShareGroupOffsets), --delete, --reset-offsets, --command-config.

import { BrokerClient } from '../../client/broker-client.ts'
import type { GroupId } from '../../common/ids.ts'
import {
  findCoordinatorRequestCodec,
  findCoordinatorResponseCodec,
} from '../../protocol/generated/messages/find-coordinator.ts'
import {
  listGroupsRequestCodec,
  listGroupsResponseCodec,
} from '../../protocol/generated/messages/list-groups.ts'
import { metadataRequestCodec, metadataResponseCodec } from '../../protocol/generated/messages/metadata.ts'
import {
  type ShareGroupDescribeResponseDescribedGroup,
  shareGroupDescribeRequestCodec,
  shareGroupDescribeResponseCodec,
} from '../../protocol/generated/messages/share-group-describe.ts'
import type { OptionDef } from '../args/option-parser.ts'
import { checkRequired, parseCommandLine } from '../common/command.ts'
import { failExit, usageExit } from '../common/exit.ts'
import type { Io } from '../common/io.ts'
import { type HostPort, INVALID_BOOTSTRAP, parseBootstrap } from '../common/kafka.ts'
import { table } from '../transactions/run.ts'

const OPTIONS: readonly OptionDef[] = [
  {
    name: 'bootstrap-server',
    help: 'REQUIRED: The server(s) to connect to.',
    arg: 'required',
    describedAs: 'server to connect to',
  },
  { name: 'group', help: 'The share group we wish to act on.', arg: 'required', describedAs: 'share group' },
  { name: 'list', help: 'List all share groups.' },
  { name: 'describe', help: 'Describe share group and list its members.' },
  { name: 'members', help: 'Describe members of the group. This option may be used with --describe.' },
  { name: 'state', help: 'When specified with --describe, includes the state of the group.' },
  {
    name: 'timeout',
    help: 'The timeout for requests (ms).',
    arg: 'required',
    type: 'Long',
    defaultValue: '5000',
  },
]

const PURPOSE = 'This tool helps to list and describe share groups.'
const SPEC = { version: 0 }

function client(b: HostPort, timeoutMs: number): BrokerClient {
  return new BrokerClient({
    host: b.host,
    port: b.port,
    clientId: 'kafka-share-groups',
    requestTimeoutMs: timeoutMs,
    tls: null,
    sasl: null,
  })
}

async function brokers(c: BrokerClient): Promise<{ nodeId: number; host: string; port: number }[]> {
  const md = await c.send(
    { apiKey: 3, version: 12, request: metadataRequestCodec, response: metadataResponseCodec },
    { ...metadataRequestCodec.defaults(12), topics: [] },
  )
  return md.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port }))
}

async function list(boot: BrokerClient, timeoutMs: number, io: Io): Promise<number> {
  const ids = new Set<string>()
  for (const b of await brokers(boot)) {
    const c = client(b, timeoutMs)
    try {
      const r = await c.send(
        { apiKey: 16, version: 5, request: listGroupsRequestCodec, response: listGroupsResponseCodec },
        { statesFilter: [], typesFilter: ['share'] },
      )
      for (const g of r.groups) if (g.groupType === 'share' || g.protocolType === 'share') ids.add(g.groupId)
    } finally {
      c.close()
    }
  }
  for (const id of [...ids].sort()) io.out(`${id}\n`)
  return 0
}

async function describe(
  boot: BrokerClient,
  group: string,
  timeoutMs: number,
): Promise<{ g: ShareGroupDescribeResponseDescribedGroup; coordinator: string }> {
  const fc = await boot.send(
    { apiKey: 10, version: 4, request: findCoordinatorRequestCodec, response: findCoordinatorResponseCodec },
    { ...findCoordinatorRequestCodec.defaults(4), keyType: 0, coordinatorKeys: [group] },
  )
  const co = fc.coordinators[0]
  if (co === undefined || co.errorCode !== 0) failExit(`Error: could not find the coordinator of ${group}`)
  const c = client({ host: co.host, port: co.port }, timeoutMs)
  try {
    const r = await c.send(
      {
        apiKey: 77,
        ...SPEC,
        request: shareGroupDescribeRequestCodec,
        response: shareGroupDescribeResponseCodec,
      },
      { groupIds: [group as GroupId], includeAuthorizedOperations: false },
    )
    return { g: r.groups[0], coordinator: `${co.host}:${co.port} (${co.nodeId})` }
  } finally {
    c.close()
  }
}

export async function run(argv: readonly string[], io: Io): Promise<number> {
  const opts = parseCommandLine(OPTIONS, argv, { purpose: PURPOSE })
  checkRequired(OPTIONS, opts, 'bootstrap-server')
  const actions = ['list', 'describe'].filter((a) => opts.has(a))
  if (actions.length !== 1) usageExit(OPTIONS, 'Command must include exactly one action: --list, --describe')
  const servers = parseBootstrap(opts.value('bootstrap-server') ?? '')
  if (servers === null) failExit(INVALID_BOOTSTRAP.trim())
  const timeoutMs = opts.number('timeout') ?? 5000
  const boot = client(servers[0], timeoutMs)
  try {
    if (opts.has('list')) return await list(boot, timeoutMs, io)
    checkRequired(OPTIONS, opts, 'group')
    const group = opts.value('group') as string
    const { g, coordinator } = await describe(boot, group, timeoutMs)
    if (g.errorCode === 69) failExit(`Error: Share group '${group}' does not exist.`)
    if (g.errorCode !== 0) failExit(`Error: describing ${group} failed with error ${g.errorCode}`)
    if (opts.has('state')) {
      io.out(
        table(
          ['GROUP', 'COORDINATOR (ID)', 'STATE', '#MEMBERS'],
          [[group, coordinator, g.groupState, String(g.members.length)]],
        ),
      )
      return 0
    }
    if (g.members.length === 0) {
      io.out(`\nShare group '${group}' has no active members.\n`)
      return 0
    }
    const rows = g.members.map((m) => {
      const parts = m.assignment.topicPartitions
      const n = parts.reduce((s, t) => s + t.partitions.length, 0)
      const assignment = parts
        .map((t) => `${t.topicName}:${[...t.partitions].sort((a, b) => a - b).join(',')}`)
        .join(';')
      return [group, m.memberId, m.clientHost, m.clientId, String(n), assignment === '' ? '-' : assignment]
    })
    io.out(table(['GROUP', 'CONSUMER-ID', 'HOST', 'CLIENT-ID', '#PARTITIONS', 'ASSIGNMENT'], rows))
    return 0
  } finally {
    boot.close()
  }
}
