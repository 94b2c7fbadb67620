// kafka-features.sh (Kafka's FeatureCommand): `--bootstrap-server S describe` prints, for every
// feature the cluster supports, its supported range, the finalized level (0 when not finalized) and
// the finalized-features epoch ("-" when unknown), one tab-separated line per feature sorted by
// name, as the Java admin's describeFeatures reads them from ApiVersions v3+. A ZooKeeper-mode
// cluster (Samsa's, like Kafka 3.x's) supports no feature, so the answer is empty, as Kafka's is.
// Requests go through Samsa's own wire client (@platformatic/kafka does not expose the features).
// Not implemented: upgrade, downgrade and disable (UpdateFeatures), --command-config,
// --bootstrap-controller.

import { BrokerClient } from '../../client/broker-client.ts'
import {
  type ApiVersionsResponse,
  apiVersionsRequestCodec,
  apiVersionsResponseCodec,
} from '../../protocol/generated/messages/api-versions.ts'
import type { OptionDef } from '../args/option-parser.ts'
import { checkRequired, parseCommandLine } from '../common/command.ts'
import { failExit, usageExit } from '../common/exit.ts'
import type { Io } from '../common/io.ts'
import { INVALID_BOOTSTRAP, parseBootstrap } from '../common/kafka.ts'

const OPTIONS: readonly OptionDef[] = [
  {
    name: 'bootstrap-server',
    help: 'REQUIRED: A comma-separated list of host:port pairs to use for establishing the connection to the Kafka cluster.',
    arg: 'required',
    describedAs: 'server to connect to',
  },
  {
    name: 'timeout',
    help: 'The timeout for requests (ms).',
    arg: 'required',
    type: 'Long',
    defaultValue: '5000',
  },
]

const PURPOSE =
  'This tool manages feature flags in Kafka. Commands: describe (describes the current active feature flags).'

/** The lines `describe` prints for an ApiVersions v3+ answer. */
export function describeLines(r: ApiVersionsResponse): string[] {
  const finalized = new Map(r.finalizedFeatures.map((f) => [f.name, f.maxVersionLevel]))
  const epoch = r.finalizedFeaturesEpoch < 0n ? '-' : String(r.finalizedFeaturesEpoch)
  return [...r.supportedFeatures]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map(
      (f) =>
        `Feature: ${f.name}\tSupportedMinVersion: ${f.minVersion}\tSupportedMaxVersion: ${f.maxVersion}\t` +
        `FinalizedVersionLevel: ${finalized.get(f.name) ?? 0}\tEpoch: ${epoch}`,
    )
}

export async function run(argv: readonly string[], io: Io): Promise<number> {
  const opts = parseCommandLine(OPTIONS, argv, { purpose: PURPOSE })
  checkRequired(OPTIONS, opts, 'bootstrap-server')
  const command = opts.nonOptions[0]
  if (command === undefined) usageExit(OPTIONS, 'Missing command: describe')
  if (command !== 'describe' || opts.nonOptions.length > 1)
    usageExit(OPTIONS, `Unknown or unsupported command: ${opts.nonOptions.join(' ')} (supported: describe)`)
  const servers = parseBootstrap(opts.value('bootstrap-server') ?? '')
  if (servers === null) failExit(INVALID_BOOTSTRAP.trim())
  const timeoutMs = opts.number('timeout') ?? 5000
  const c = new BrokerClient({
    host: servers[0]!.host,
    port: servers[0]!.port,
    clientId: 'kafka-features',
    requestTimeoutMs: timeoutMs,
    tls: null,
    sasl: null,
  })
  try {
    const r = await c.send(
      { apiKey: 18, version: 3, request: apiVersionsRequestCodec, response: apiVersionsResponseCodec },
      {
        ...apiVersionsRequestCodec.defaults(3),
        clientSoftwareName: 'samsa-kafka-features',
        clientSoftwareVersion: '1.0',
      },
    )
    if (r.errorCode !== 0) failExit(`Error: ApiVersions failed with error code ${r.errorCode}`)
    for (const line of describeLines(r)) io.out(`${line}\n`)
    return 0
  } catch (e) {
    if (e instanceof Error && e.name === 'ToolExit') throw e
    failExit(`Error: ${(e as Error).message}`)
  } finally {
    c.close()
  }
}
