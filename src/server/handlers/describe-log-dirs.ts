// DescribeLogDirs: v0-4 (flexible from v2). For each configured log dir (absolute path): its
// partitions with their size on disk and offset lag (max(high watermark - log end offset, 0), i.e.
// 0 for a leader's current log), restricted to the requested topic partitions (null: all), topics
// without a matching partition left out; from v4 the volume's total and usable bytes (-1 when
// unknown). A dir that cannot be read answers KAFKA_STORAGE_ERROR, as Kafka does for offline dirs.
// With an authorizer, DESCRIBE on the cluster is checked before this handler runs
// (broker/authorizer-wiring.ts: CLUSTER_AUTHORIZATION_FAILED otherwise).
// Not implemented: future logs (AlterReplicaLogDirs); isFutureKey is always false.

import { statfs } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { TopicName } from '../../common/ids.ts'
import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import {
  type DescribeLogDirsRequest,
  type DescribeLogDirsResponse,
  type DescribeLogDirsResponseDescribeLogDirsResult,
  describeLogDirsRequestCodec,
  describeLogDirsResponseCodec,
} from '../../protocol/generated/messages/describe-log-dirs.ts'
import type { LogManager } from '../../storage/log-manager.ts'
import type { Handler } from '../handler.ts'

export interface LogDirPartition {
  readonly topic: string
  readonly partition: number
  /** Bytes of the partition's segments. */
  readonly size: bigint
  readonly offsetLag: bigint
}

export interface LogDirDescription {
  /** Absolute path. */
  readonly path: string
  /** NONE, or KAFKA_STORAGE_ERROR when the dir is offline or unreadable. */
  readonly errorCode: number
  /** -1n when unknown. */
  readonly totalBytes: bigint
  readonly usableBytes: bigint
  readonly partitions: readonly LogDirPartition[]
}

export interface DescribeLogDirsServices {
  /** Every configured log dir with its partitions (logDirsOf adapts a LogManager). */
  describeLogDirs(): Promise<readonly LogDirDescription[]>
}

export type VolumeSpace = (dir: string) => Promise<{ total: bigint; usable: bigint }>

/** The volume holding `dir`, from statfs(2). Throws when the dir cannot be read. */
export const statfsSpace: VolumeSpace = async (dir) => {
  const s = await statfs(dir, { bigint: true })
  return { total: s.blocks * s.bsize, usable: s.bavail * s.bsize }
}

/**
 * DescribeLogDirsServices.describeLogDirs over a LogManager: its configured dirs and the logs in
 * each. `space` gives a dir's volume sizes (default: statfs on the real file system); a dir whose
 * space cannot be read is reported as KAFKA_STORAGE_ERROR.
 */
export function logDirsOf(logManager: LogManager, space: VolumeSpace = statfsSpace) {
  return async (): Promise<LogDirDescription[]> => {
    const byDir = new Map<string, LogDirPartition[]>()
    for (const { log, logDir } of logManager.allLogs()) {
      if (log.isOffline) continue
      const lag = log.highWatermark - log.logEndOffset
      const list = byDir.get(logDir) ?? []
      list.push({
        topic: log.topicPartition.topic,
        partition: log.topicPartition.partition,
        size: BigInt(log.size),
        offsetLag: lag > 0n ? lag : 0n,
      })
      byDir.set(logDir, list)
    }
    const out: LogDirDescription[] = []
    for (const dir of logManager.config.logDirs) {
      const path = resolve(dir)
      try {
        const { total, usable } = await space(dir)
        out.push({
          path,
          errorCode: ErrorCode.NONE,
          totalBytes: total,
          usableBytes: usable,
          partitions: byDir.get(dir) ?? [],
        })
      } catch {
        out.push({
          path,
          errorCode: ErrorCode.KAFKA_STORAGE_ERROR,
          totalBytes: -1n,
          usableBytes: -1n,
          partitions: [],
        })
      }
    }
    return out
  }
}

type Result = DescribeLogDirsResponseDescribeLogDirsResult

function describeDir(dir: LogDirDescription, wanted: ((t: string, p: number) => boolean) | null): Result {
  if (dir.errorCode !== ErrorCode.NONE)
    return { errorCode: dir.errorCode, logDir: dir.path, topics: [], totalBytes: -1n, usableBytes: -1n }
  const topics = new Map<string, LogDirPartition[]>()
  for (const p of dir.partitions) {
    if (wanted && !wanted(p.topic, p.partition)) continue
    topics.set(p.topic, [...(topics.get(p.topic) ?? []), p])
  }
  return {
    errorCode: ErrorCode.NONE,
    logDir: dir.path,
    topics: [...topics].map(([name, parts]) => ({
      name: name as TopicName,
      partitions: parts
        .sort((a, b) => a.partition - b.partition)
        .map((p) => ({
          partitionIndex: p.partition,
          partitionSize: p.size,
          offsetLag: p.offsetLag,
          isFutureKey: false,
        })),
    })),
    totalBytes: dir.totalBytes,
    usableBytes: dir.usableBytes,
  }
}

export const describeLogDirsHandler: Handler<
  DescribeLogDirsRequest,
  DescribeLogDirsResponse,
  DescribeLogDirsServices
> = {
  apiKey: 35,
  minVersion: 0,
  maxVersion: 4,
  request: describeLogDirsRequestCodec,
  response: describeLogDirsResponseCodec,

  async handle(_ctx, req, services) {
    let wanted: ((t: string, p: number) => boolean) | null = null
    if (req.topics !== null) {
      const set = new Set(req.topics.flatMap((t) => t.partitions.map((p) => `${t.topic}\u0000${p}`)))
      wanted = (t, p) => set.has(`${t}\u0000${p}`)
    }
    const dirs = await services.describeLogDirs()
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, results: dirs.map((d) => describeDir(d, wanted)) }
  },

  errorResponse(_req, _version, errorCode) {
    return { throttleTimeMs: 0, errorCode, results: [] }
  },
}
