// Who a hook call is about, for its log line: the parent (composite) or the object (decorator).
// Read before the request is validated (an invalid call is logged too), so only what has the
// shape of a Kubernetes name is taken: a client's megabyte "namespace", or an object in its
// place, would otherwise be written to the log on every call, past the log's redaction.
export interface CallIdentity {
  namespace?: string;
  name?: string;
  generation?: number;
}

/** The longest name Kubernetes allows (a DNS subdomain); a namespace is shorter still. */
const MAX_NAME_LENGTH = 253;

function nameOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' && value.length <= MAX_NAME_LENGTH ? value : undefined;
}

export function identityOf(body: unknown): CallIdentity {
  const root = (body as { parent?: unknown; object?: unknown } | null) ?? {};
  const metadata = ((root.parent ?? root.object) as { metadata?: Record<string, unknown> } | null)
    ?.metadata;
  const generation = metadata?.generation;
  return {
    namespace: nameOrUndefined(metadata?.namespace),
    name: nameOrUndefined(metadata?.name),
    generation: Number.isSafeInteger(generation) ? (generation as number) : undefined,
  };
}
