// kafka-consumer-groups.sh: list, describe (offsets and lag, members, state), delete groups, reset
// and delete committed offsets, through the admin client, printing what Kafka's
// ConsumerGroupCommand prints. As in Kafka, a failure after the options were accepted is reported as
// `Error: Executing consumer group command failed due to ...` and the exit code stays 0.

import { ToolExit, usageExit } from '../common/exit.ts'
import type { Io } from '../common/io.ts'
import { closeQuietly, errorMessage, openAdmin } from '../common/kafka.ts'
import { loadProps } from '../common/props.ts'
import { deleteGroups, deleteOffsets } from './delete.ts'
import { describeMembers, describeOffsets, describeState } from './describe.ts'
import { formatGroupListing } from './format.ts'
import { parseGroupOptions } from './options.ts'
import { resetOffsets } from './reset-offsets.ts'
import { IllegalArgument } from './reset-plan.ts'
import { ALL, GroupService } from './service.ts'

const VALID_STATES = [
  'PreparingRebalance',
  'CompletingRebalance',
  'Stable',
  'Dead',
  'Empty',
  'Assigning',
  'Reconciling',
]
const VALID_TYPES = ['consumer', 'classic', 'share', 'streams']

export async function run(argv: readonly string[], io: Io): Promise<number> {
  const cmd = parseGroupOptions(argv, (t) => io.err(t))
  const { opts } = cmd
  const props = opts.has('command-config')
    ? loadProps(opts.value('command-config')!, io.cwd)
    : new Map<string, string>()
  props.set('request.timeout.ms', props.get('request.timeout.ms') ?? opts.value('timeout')!)
  const admin = await openAdmin('adminclient-1', opts.value('bootstrap-server')!, props)
  const service = new GroupService(admin, cmd, io)
  try {
    switch (cmd.action) {
      case 'list': {
        const withType = opts.has('type')
        const withState = opts.has('state')
        if (!withType && !withState) {
          for (const g of await service.listGroups()) io.out(`${g.id}\n`)
          break
        }
        const states = parseFilter(opts.value('state'), VALID_STATES, true)
        const types = parseFilter(opts.value('type'), VALID_TYPES, false)
        const groups = (await service.listGroups()).filter(
          (g) =>
            (states.length === 0 || states.includes(g.state.toLowerCase())) &&
            (types.length === 0 || types.includes(g.type.toLowerCase())),
        )
        io.out(formatGroupListing(groups, withType, withState))
        break
      }
      case 'describe': {
        const ids = await service.groupIds()
        if (opts.has('members')) await describeMembers(service, ids, opts.has('verbose'))
        else if (opts.has('state')) await describeState(service, ids)
        else await describeOffsets(service, ids)
        break
      }
      case 'delete':
        await deleteGroups(service)
        break
      case 'reset-offsets':
        await resetOffsets(service)
        break
      case 'delete-offsets':
        await deleteOffsets(service)
        break
    }
  } catch (e) {
    if (e instanceof ToolExit) throw e
    if (e instanceof IllegalArgument) usageExit(ALL, e.message)
    service.printError(`Executing consumer group command failed due to ${errorMessage(e)}`)
  } finally {
    await closeQuietly(admin)
  }
  return 0
}

/** --state / --type lists (`stable,empty`), lower-cased; unknown names end the tool as Kafka's does. */
function parseFilter(value: string | undefined, valid: readonly string[], isState: boolean): string[] {
  if (value === undefined || value === '') return []
  const parsed = value.split(',').map((s) => s.trim().toLowerCase())
  const known = new Set(valid.map((v) => v.toLowerCase()))
  if (parsed.some((p) => !known.has(p))) {
    const message = isState
      ? `Invalid state list '${value}'. Valid states are: ${valid.join(', ')}`
      : `Invalid types list '${value}'. Valid types are: ${valid.join(', ')}`
    usageExit(ALL, message)
  }
  return parsed
}
