// Runs a real standalone Apache ZooKeeper for tests: Debian's package (/usr/share/zookeeper and
// its jars in /usr/share/java) or an Apache tarball at $ZOOKEEPER_HOME. The server runs in the
// foreground straight from java (zkServer.sh start daemonizes and writes pid files in shared
// places) with its own temporary conf and data dirs, on a free loopback port, with a short tick so
// sessions of 2-4 s can expire fast. stop() kills it by pid and removes the temp dirs; kill() and
// start() crash it and bring it back on the same port and data dir (the fault suite's ZooKeeper
// restart). startZookeeperProxy() relays to it and can cut clients off for a while (session expiry
// tests), listening on loopback or on an address of the fault suite's network namespaces.

import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { type AddressInfo, createServer, type Socket, connect as tcpConnect } from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { connectZk } from '../../src/metadata/zk/zk-real.ts'

const DEBIAN_HOME = '/usr/share/zookeeper'

interface Install {
  classpath: string
  zkCli: string
}

function onPath(cmd: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir !== '' && existsSync(join(dir, cmd)))
}

function findInstall(): Install | null {
  if (!onPath('java')) return null
  const home = process.env.ZOOKEEPER_HOME
  if (home && existsSync(join(home, 'bin/zkServer.sh'))) {
    // Apache's tarball: the server jar and its dependencies in lib/ (older releases: top level).
    const jars = [home, join(home, 'lib')].filter(existsSync).flatMap((dir) =>
      readdirSync(dir)
        .filter((f) => f.endsWith('.jar'))
        .map((f) => join(dir, f)),
    )
    return { classpath: [join(home, 'conf'), ...jars].join(':'), zkCli: join(home, 'bin/zkCli.sh') }
  }
  if (existsSync(join(DEBIAN_HOME, 'bin/zkServer.sh')) && existsSync('/usr/share/java/zookeeper.jar')) {
    // Debian's jar names its dependencies (/usr/share/java/*.jar) in its manifest Class-Path.
    return { classpath: '/usr/share/java/zookeeper.jar', zkCli: join(DEBIAN_HOME, 'bin/zkCli.sh') }
  }
  return null
}

export function zookeeperAvailable(): boolean {
  return findInstall() !== null
}

export interface ZookeeperProcess {
  port: number
  /** 127.0.0.1:<port>, for zookeeper.connect. */
  connect: string
  dataDir: string
  /** The running server's pid (undefined while it is down after kill()). */
  pid(): number | undefined
  /** Everything the server printed so far. */
  output(): string
  stop(): Promise<void>
  /** SIGKILL the server, keeping its port, conf and data dir for start(). */
  kill(): Promise<void>
  /** Starts the server again (after kill()) on the same port and data dir; resolves once it serves. */
  start(): Promise<void>
  /** Runs zkCli.sh against this server; resolves to its stdout. */
  zkCli(args: string[]): Promise<string>
}

/** A port free on 127.0.0.1 right now (the OS's pick for port 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      const port = typeof addr === 'object' && addr ? addr.port : 0
      srv.close(() => resolve(port))
    })
  })
}

const JVM_FLAGS = ['-Xshare:auto', '-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-Xmx256m', '-Xss512k']

export async function startZookeeper(opts: { timeoutMs?: number } = {}): Promise<ZookeeperProcess> {
  const install = findInstall()
  if (!install) throw new Error('ZooKeeper is not installed (no zkServer.sh or no java on PATH)')
  const root = mkdtempSync(join(tmpdir(), 'samsa-zk-'))
  const dataDir = join(root, 'data')
  const confDir = join(root, 'conf')
  mkdirSync(dataDir)
  mkdirSync(confDir)
  const port = await freePort()
  writeFileSync(
    join(confDir, 'zoo.cfg'),
    [
      'tickTime=500',
      `dataDir=${dataDir}`,
      `clientPort=${port}`,
      'clientPortAddress=127.0.0.1',
      // Sessions between 1 s and 60 s: tests use 2-4 s sessions that expire fast.
      'minSessionTimeout=1000',
      'maxSessionTimeout=60000',
      'admin.enableServer=false',
      'maxClientCnxns=0',
      '',
    ].join('\n'),
  )
  const cleanup = () => rmSync(root, { recursive: true, force: true })
  const connect = `127.0.0.1:${port}`
  const timeoutMs = opts.timeoutMs ?? 20000
  let out = ''
  let server: { child: ChildProcess; exited: Promise<void>; dead: () => boolean } | undefined

  const spawnServer = () => {
    const child = spawn(
      'java',
      [
        ...JVM_FLAGS,
        `-Dzookeeper.log.dir=${root}`,
        '-Dzookeeper.root.logger=WARN,CONSOLE',
        '-cp',
        `${confDir}:${install.classpath}`,
        'org.apache.zookeeper.server.ZooKeeperServerMain',
        join(confDir, 'zoo.cfg'),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], cwd: root },
    )
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()))
    let dead = false
    const exited = new Promise<void>((resolve) =>
      child.once('exit', () => {
        dead = true
        resolve()
      }),
    )
    server = { child, exited, dead: () => dead }
  }

  const killServer = async (signal: NodeJS.Signals) => {
    const s = server
    if (s === undefined || s.dead() || s.child.pid === undefined) return
    s.child.kill(signal)
    const timer = setTimeout(() => s.child.kill('SIGKILL'), 3000)
    await s.exited
    clearTimeout(timer)
  }

  const stop = async () => {
    await killServer('SIGTERM')
    cleanup()
  }

  // The port accepts connections a little before the server serves sessions: wait for a session.
  const serving = async () => {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      if (server?.dead() !== false) throw new Error(`ZooKeeper exited before serving:\n${out}`)
      try {
        const probe = await connectZk({ connect, sessionTimeoutMs: 4000, connectionTimeoutMs: 500 })
        await probe.close()
        return
      } catch (err) {
        if (Date.now() > deadline)
          throw new Error(`ZooKeeper did not start within ${timeoutMs} ms: ${err}\n${out}`)
        await new Promise((r) => setTimeout(r, 100))
      }
    }
  }

  try {
    spawnServer()
    await serving()
  } catch (err) {
    await stop()
    throw err
  }

  return {
    port,
    connect,
    dataDir,
    pid: () => (server?.dead() === false ? server.child.pid : undefined),
    output: () => out,
    stop,
    kill: () => killServer('SIGKILL'),
    async start() {
      if (server?.dead() === false) throw new Error('ZooKeeper is already running')
      spawnServer()
      await serving()
    },
    zkCli: (args) =>
      new Promise((resolve, reject) => {
        execFile(
          install.zkCli,
          ['-server', connect, ...args],
          { timeout: 20000, env: { ...process.env, CLIENT_JVMFLAGS: JVM_FLAGS.join(' ') } },
          (err, stdout, stderr) =>
            err ? reject(new Error(`zkCli.sh ${args.join(' ')}: ${err}\n${stderr}`)) : resolve(stdout),
        )
      }),
  }
}

/**
 * A TCP relay to ZooKeeper (on 127.0.0.1:`target`) that can drop its connections and refuse new
 * ones for a while; it listens on `host` (default loopback).
 */
export async function startZookeeperProxy(target: number, host = '127.0.0.1') {
  const sockets = new Set<Socket>()
  const server = createServer((s) => {
    const up = tcpConnect(target, '127.0.0.1')
    sockets.add(s).add(up)
    s.pipe(up).pipe(s)
    for (const x of [s, up]) {
      x.on('error', () => {})
      x.on('close', () => {
        s.destroy()
        up.destroy()
        sockets.delete(x)
      })
    }
  })
  const listen = (port: number) => new Promise<void>((r) => server.listen(port, host, () => r()))
  await listen(0)
  const port = (server.address() as AddressInfo).port
  const stop = () =>
    new Promise<void>((r) => {
      for (const s of sockets) s.destroy()
      if (server.listening) server.close(() => r())
      else r()
    })
  return {
    port,
    stop,
    async outage(ms: number) {
      await stop()
      await new Promise((r) => setTimeout(r, ms))
      await listen(port)
    },
  }
}
