// Authorization keys (docs/security.md): Kafka's names and defaults. Defined here so that they are
// known keys (no "supplied but not used" warning), typed and documented in docs/configuration.md;
// the authorizer (security/authorizer.ts) reads and checks the values at startup.

import { type ConfigDefinition, define } from './config-def.ts'

export const AUTHZ_DEFS: readonly ConfigDefinition[] = [
  define(
    'authorizer.class.name',
    'string',
    '',
    "The authorizer: Kafka's kafka.security.authorizer.AclAuthorizer or org.apache.kafka.metadata.authorizer.StandardAuthorizer turn on Samsa's ACL authorizer (ACLs in ZooKeeper or the embedded store); empty: no authorization; any other class is refused at startup.",
    { importance: 'low' },
  ),
  define(
    'super.users',
    'string',
    '',
    'Principals allowed everything whatever the ACLs, separated by semicolons (User:admin;User:broker).',
    { importance: 'low' },
  ),
  define(
    'allow.everyone.if.no.acl.found',
    'boolean',
    false,
    'With the authorizer on, a resource that has no ACL at all is open to everyone (true) or to super users only (false).',
    { importance: 'low' },
  ),
]
