// The package's public API: run a Samsa broker inside a Node process (tests, tools, apps).
//
//   import { startBroker } from 'samsa'
//   const broker = await startBroker({ port: 0, logDirs: [dir] })
//   // ... point any Kafka client at broker.bootstrap ...
//   await broker.stop()

export {
  BrokerConfigError,
  type RunningBroker,
  type StartBrokerOptions,
  startBroker,
} from './broker/broker.ts'
export { createLogger, type Logger, LogLevel, silentLogger } from './common/logger.ts'
