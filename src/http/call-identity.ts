// Who a hook call is about, for its log line: the parent (composite) or the object (decorator).
export interface CallIdentity {
  namespace?: string;
  name?: string;
  generation?: number;
}

export function identityOf(body: unknown): CallIdentity {
  const root = (body as { parent?: unknown; object?: unknown } | null) ?? {};
  const metadata = ((root.parent ?? root.object) as { metadata?: CallIdentity } | undefined)
    ?.metadata;
  return { namespace: metadata?.namespace, name: metadata?.name, generation: metadata?.generation };
}
