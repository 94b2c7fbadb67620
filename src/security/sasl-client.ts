// The client side of the mechanisms a broker uses towards other brokers (PLAIN, SCRAM-SHA-256/512),
// in the shape the internal wire client (client/broker-client.ts) drives: a fresh exchange per
// connection, answering each server challenge with the next token until done.

import type { BrokerClientSasl, SaslClientExchange } from '../client/broker-client.ts'
import type { SaslClientSettings } from './sasl-config.ts'
import { plainClientToken } from './sasl-plain.ts'
import { ScramClient } from './scram-client.ts'
import { scramMechanismByName } from './scram-credential.ts'

export function saslClient(s: SaslClientSettings): BrokerClientSasl {
  return {
    mechanism: s.mechanism,
    exchange: () => exchangeFor(s),
  }
}

function exchangeFor(s: SaslClientSettings): SaslClientExchange {
  if (s.mechanism === 'PLAIN') {
    let sent = false
    return {
      respond: () => {
        if (sent) return null
        sent = true
        return plainClientToken(s.username, s.password)
      },
    }
  }
  const m = scramMechanismByName(s.mechanism)
  if (m === undefined) throw new Error(`no SASL client for ${s.mechanism}`)
  const scram = new ScramClient(m, s.username, s.password)
  let step = 0
  return {
    respond: (challenge) => {
      step++
      if (step === 1) return scram.firstMessage()
      if (step === 2) return scram.finalMessage(challenge ?? Buffer.alloc(0))
      scram.verifyServerFinal(challenge ?? Buffer.alloc(0))
      return null
    },
  }
}
