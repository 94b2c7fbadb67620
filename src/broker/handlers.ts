// Every request handler the broker serves. ApiVersions advertises exactly these.

import type { AnyHandler } from '../server/handler.ts'
import { apiVersionsHandler } from '../server/handlers/api-versions.ts'
import type { BrokerServices } from './services.ts'

export const HANDLERS: readonly AnyHandler<BrokerServices>[] = [
  apiVersionsHandler as AnyHandler<BrokerServices>,
]
