// Calling a hook and holding its reply to the contract in one step, with readable failures.
import { expect } from 'chai';
import { countGenerated } from './budget.js';
import {
  HOOK_PATHS,
  replyProblems,
  type Child,
  type CompositeAnswer,
  type DecoratorAnswer,
  type HookName,
} from './contract.js';
import type { HookReply, HookServer } from './hook-server.js';

export interface Checked<T> {
  reply: HookReply;
  answer: T;
}

/** POSTs `body`, asserts a 200 Metacontroller would accept, and that the same body answers the same bytes. */
export async function callOk<T extends CompositeAnswer | DecoratorAnswer>(
  server: HookServer,
  hook: HookName,
  body: string,
  check: { namespace: string; repeat?: boolean },
): Promise<Checked<T>> {
  countGenerated();
  const reply = await server.call(HOOK_PATHS[hook], body);
  expect(reply.status, `${hook}: ${reply.text.slice(0, 500)}`).to.equal(200);
  expect(replyProblems(reply, { hook, ...check }).join('\n'), `${hook} reply`).to.equal('');
  if (check.repeat ?? true) {
    const again = await server.call(HOOK_PATHS[hook], body);
    expect(again.status, 'the same request twice').to.equal(200);
    expect(again.text === reply.text, 'the same request answers byte-identical bodies').to.equal(
      true,
    );
    expect(again.headers.etag, 'and the same ETag').to.equal(reply.headers.etag);
  }
  return { reply, answer: JSON.parse(reply.text) as T };
}

/** `apiVersion kind name` of each object, sorted: what "the same children" compares. */
export function identities(objects: Child[]): string[] {
  return objects.map((o) => `${o.apiVersion} ${o.kind} ${o.metadata.name}`).sort();
}

/** JSON with sorted keys, for comparing objects whose key order may legitimately differ. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) =>
            a < b ? -1 : a > b ? 1 : 0,
          ),
        )
      : v,
  );
}
