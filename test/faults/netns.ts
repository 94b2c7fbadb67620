// The fault suite's network (issue 12): each broker in a network namespace of its own, so that the
// link between two brokers, or between a broker and ZooKeeper, can be cut or slowed while the rest
// keeps working. A bridge in the root namespace joins one veth pair per broker; the bridge holds
// the root side's addresses: .1 (where the test's clients come from) and .2 (where ZooKeeper's
// per-broker relays listen), so that a broker can be cut from ZooKeeper without being cut from
// its clients. Cuts are iptables rules inside the broker namespaces (each has its own tables, gone
// with it); slowness is tc on both ends of a broker's veth (netem when the kernel has it, else a
// token bucket plus random drops by iptables). Names start with sf<pid>n<k> and the subnet is one
// 10.231.x.0/24 nobody else here uses; destroy() removes everything, and an exit hook does so too
// if the process ends without calling it.

import { execFile, execFileSync } from 'node:child_process'
import { existsSync, readlinkSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { ClusterNetwork } from '../support/cluster.ts'

function which(cmd: string): string | null {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin']
  for (const d of dirs) if (d !== '' && existsSync(join(d, cmd))) return join(d, cmd)
  return null
}

/** Why namespaces cannot be used here (then the cluster runs on loopback), or null. */
export function netnsUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'not root (network namespaces need root)'
  if (which('ip') === null) return 'no ip command (apt-get install iproute2)'
  if (which('iptables') === null) return 'no iptables command (apt-get install iptables)'
  if (which('tc') === null) return 'no tc command (apt-get install iproute2)'
  return null
}

export interface SlowOptions {
  delayMs: number
  jitterMs: number
  lossPct: number
}

export interface NetnsNetwork extends ClusterNetwork {
  /** Namespace of broker `id`. */
  nsOf(id: number): string
  /** Drops everything between broker `id` and each of `others`, both ways; and ZooKeeper if `zk`. */
  isolate(id: number, others: readonly number[], zk: boolean): Promise<void>
  /** Drops only what broker `from` sends to broker `to`. */
  dropOneWay(from: number, to: number): Promise<void>
  /** Delays and loses packets both ways on broker `id`'s link; says what was applied. */
  slow(id: number, o: SlowOptions): Promise<string>
  /** Removes every rule and queueing discipline added since the last heal. */
  heal(): Promise<void>
  /** Removes the namespaces, veths and bridge. */
  destroy(): Promise<void>
  /** One line: subnet, names, addresses, how slowness is made. */
  describe(): string
}

let created = 0

export async function createNetns(ids: readonly number[]): Promise<NetnsNetwork> {
  const why = netnsUnavailable()
  if (why !== null) throw new Error(why)
  const ip = which('ip')!
  const iptables = which('iptables')!
  const tc = which('tc')!
  const prefix = `sf${process.pid}n${created++}`
  const bridge = `${prefix}br`
  const ns = (id: number) => `${prefix}b${id}`
  const veth = (id: number) => `${prefix}v${id}`
  const net = freeSubnet()
  const hostOf = (id: number) => `${net}.${10 + id}`
  const clientHost = `${net}.1`
  const zkHost = `${net}.2`

  const run = (cmd: string, args: readonly string[]) =>
    new Promise<string>((resolve, reject) =>
      execFile(cmd, args, { timeout: 10000 }, (err, stdout, stderr) =>
        err
          ? reject(new Error(`${cmd} ${args.join(' ')}: ${stderr.trim() || err.message}`))
          : resolve(stdout),
      ),
    )
  const inNs = (id: number, cmd: string, args: readonly string[]) =>
    run(ip, ['netns', 'exec', ns(id), cmd, ...args])
  const rule = (id: number, args: readonly string[]) =>
    inNs(id, iptables, ['-w', '-A', ...args, '-j', 'DROP'])

  const destroySync = () => {
    for (const id of ids) {
      for (const args of [
        ['link', 'del', veth(id)],
        ['netns', 'del', ns(id)],
      ]) {
        try {
          execFileSync(ip, args, { stdio: 'ignore' })
        } catch {}
      }
    }
    try {
      execFileSync(ip, ['link', 'del', bridge], { stdio: 'ignore' })
    } catch {}
  }
  process.on('exit', destroySync)

  let netem = false
  try {
    await run(ip, ['link', 'add', bridge, 'type', 'bridge'])
    await run(ip, ['addr', 'add', `${clientHost}/24`, 'dev', bridge])
    await run(ip, ['addr', 'add', `${zkHost}/24`, 'dev', bridge])
    await run(ip, ['link', 'set', bridge, 'up'])
    for (const id of ids) {
      await run(ip, ['netns', 'add', ns(id)])
      await run(ip, ['link', 'add', veth(id), 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns(id)])
      await run(ip, ['link', 'set', veth(id), 'master', bridge, 'up'])
      await run(ip, ['-n', ns(id), 'addr', 'add', `${hostOf(id)}/24`, 'dev', 'eth0'])
      await run(ip, ['-n', ns(id), 'link', 'set', 'eth0', 'up'])
      await run(ip, ['-n', ns(id), 'link', 'set', 'lo', 'up'])
      await inNs(id, iptables, ['-w', '-S'])
    }
    // Each namespace must reach ZooKeeper's side and the other brokers through the bridge (a
    // host whose bridged traffic is filtered would make every broker look partitioned).
    for (const id of ids) {
      await reaches(id, zkHost)
      for (const other of ids) if (other !== id) await reaches(id, hostOf(other))
    }
    netem = await run(tc, ['qdisc', 'add', 'dev', veth(ids[0]!), 'root', 'netem', 'delay', '1ms']).then(
      () => true,
      () => false,
    )
    if (netem) await run(tc, ['qdisc', 'del', 'dev', veth(ids[0]!), 'root'])
  } catch (e) {
    destroySync()
    process.removeListener('exit', destroySync)
    throw e
  }

  /** A TCP connect to a closed port answered by a reset (refused) proves the path works. */
  async function reaches(id: number, host: string): Promise<void> {
    const out = await inNs(id, 'bash', ['-c', `exec 3<>/dev/tcp/${host}/1; echo open`]).catch(
      (e: Error) => e.message,
    )
    if (!/refused|open/.test(out)) throw new Error(`${ns(id)} does not reach ${host}: ${out}`)
  }

  const slowed = new Set<number>()
  return {
    zkHost,
    hostOf,
    nsOf: ns,
    wrap: (id) => [ip, 'netns', 'exec', ns(id)],
    started(id, pid) {
      const want = `net:[${statSync(`/run/netns/${ns(id)}`).ino}]`
      const got = readlinkSync(`/proc/${pid}/ns/net`)
      if (got !== want) throw new Error(`broker ${id} (pid ${pid}) is in ${got}, not in ${ns(id)} (${want})`)
    },
    async isolate(id, others, zk) {
      const hosts = [...others.map(hostOf), ...(zk ? [zkHost] : [])]
      for (const h of hosts) {
        await rule(id, ['INPUT', '-s', h])
        await rule(id, ['OUTPUT', '-d', h])
      }
    },
    async dropOneWay(from, to) {
      await rule(from, ['OUTPUT', '-d', hostOf(to)])
    },
    async slow(id, o) {
      slowed.add(id)
      if (netem) {
        const args = ['delay', `${o.delayMs}ms`, `${o.jitterMs}ms`, 'loss', `${o.lossPct}%`]
        await run(tc, ['qdisc', 'add', 'dev', veth(id), 'root', 'netem', ...args])
        await inNs(id, tc, ['qdisc', 'add', 'dev', 'eth0', 'root', 'netem', ...args])
        return `netem delay ${o.delayMs}±${o.jitterMs} ms, loss ${o.lossPct}% both ways`
      }
      // No netem in this kernel: a slow link instead (a token bucket whose queue delays what
      // exceeds the rate) and random loss, which makes TCP wait for retransmissions.
      const rateKbit = Math.max(64, Math.round(40000 / o.delayMs))
      const tbf = ['tbf', 'rate', `${rateKbit}kbit`, 'burst', '4kb', 'latency', `${o.delayMs * 4}ms`]
      await run(tc, ['qdisc', 'add', 'dev', veth(id), 'root', ...tbf])
      await inNs(id, tc, ['qdisc', 'add', 'dev', 'eth0', 'root', ...tbf])
      const p = String(o.lossPct / 100)
      await rule(id, ['INPUT', '-i', 'eth0', '-m', 'statistic', '--mode', 'random', '--probability', p])
      await rule(id, ['OUTPUT', '-o', 'eth0', '-m', 'statistic', '--mode', 'random', '--probability', p])
      return `no netem in this kernel: tbf ${rateKbit} kbit/s (queue up to ${o.delayMs * 4} ms), loss ${o.lossPct}% both ways`
    },
    async heal() {
      for (const id of ids) await inNs(id, iptables, ['-w', '-F'])
      for (const id of slowed) {
        await run(tc, ['qdisc', 'del', 'dev', veth(id), 'root']).catch(() => {})
        await inNs(id, tc, ['qdisc', 'del', 'dev', 'eth0', 'root']).catch(() => {})
      }
      slowed.clear()
    },
    async destroy() {
      // The veths first: deleting a namespace frees its end of the pair only later, in the kernel.
      for (const id of ids) {
        await run(ip, ['link', 'del', veth(id)]).catch(() => {})
        await run(ip, ['netns', 'del', ns(id)]).catch(() => {})
      }
      await run(ip, ['link', 'del', bridge]).catch(() => {})
      process.removeListener('exit', destroySync)
      const left = (await run(ip, ['-o', 'link'])).split('\n').filter((l) => l.includes(prefix))
      const nsLeft = (await run(ip, ['netns', 'list'])).split('\n').filter((l) => l.startsWith(prefix))
      if (left.length + nsLeft.length > 0)
        throw new Error(`netns cleanup left ${[...left, ...nsLeft].join('; ')}`)
    },
    describe: () =>
      `netns: bridge ${bridge} ${net}.0/24 (clients ${clientHost}, ZooKeeper relays ${zkHost}), ` +
      ids.map((id) => `broker ${id} ${hostOf(id)} in ${ns(id)}`).join(', ') +
      `; slow-net by ${netem ? 'netem' : 'tbf + iptables loss (no netem in this kernel)'}`,
  }
}

/** 10.231.x: the first x (from a pid-dependent start) in no address or route of the root namespace. */
function freeSubnet(): string {
  const ip = which('ip')!
  const used =
    execFileSync(ip, ['-4', '-o', 'addr'], { encoding: 'utf8' }) +
    execFileSync(ip, ['-4', 'route'], { encoding: 'utf8' })
  const start = (process.pid + created * 37) % 250
  for (let k = 0; k < 250; k++) {
    const x = ((start + k) % 250) + 1
    if (!used.includes(`10.231.${x}.`)) return `10.231.${x}`
  }
  throw new Error('no free 10.231.x.0/24 subnet')
}
