// JSON inside a request's strings: a child's last-applied annotation, the keys of its
// managedFields. The body's value count sees each as one string, yet parsed it may be millions
// of values. With an invalid spec the sync hook carries every child over (carry-over.ts), which
// is where they are parsed. PYLAMBDA_MAX_INFLIGHT such requests at once, with the limits the pod
// runs with, must be answered 200 with the children kept, within the memory budget (256 MiB), while
// /healthz keeps answering within its probe's timeout: each key of a managedFields list node is
// parsed once, not once per item of the list.
import { expect } from 'chai';
import { DEFAULT_BODY_LIMIT_BYTES } from '../../src/config.js';
import { LAST_APPLIED } from '../../src/metacontroller/apply-entry.js';
import { call, describeOutcome, type Outcome } from './support/client.js';
import { MiB, peakRss } from './support/memory.js';
import { SYNC, syncRequest } from './support/requests.js';
import { watchWebhook } from './support/watch.js';
import { startWebhook, type WebhookProcess } from './support/webhook-process.js';

// The most the webhook may hold under attack: a third below the pod's 384Mi memory limit
// (config/manager/deployment.yaml), so the worst case measured leaves headroom.
const MEMORY_BUDGET = 256 * MiB;
const MAX_INFLIGHT = 16; // the default
const LIVENESS_TIMEOUT_MS = 2_000; // the pod's livenessProbe

type Json = Record<string, unknown>;

/** A ConfigMap whose last-applied annotation is its own, with `count` empty objects in it. */
function childWithLastApplied(name: string, count: number, other: Record<string, string> = {}) {
  const lastApplied = `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"${name}"},"x":[${'{},'.repeat(count - 1)}{}]}`;
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: 'load', annotations: { ...other, [LAST_APPLIED]: lastApplied } },
    data: {},
  };
}

/** A sync request with an invalid spec (so every child is carried over) and these ConfigMaps. */
function invalidSpecWith(children: Json[]): Buffer {
  const request = JSON.parse(syncRequest(1)) as {
    parent: { spec: Json };
    children: Record<string, Json>;
  };
  request.parent.spec.replicas = 'three';
  request.children['ConfigMap.v1'] = Object.fromEntries(
    children.map((child) => [(child.metadata as { name: string }).name, child]),
  );
  const body = Buffer.from(JSON.stringify(request));
  expect(body.length).to.be.below(DEFAULT_BODY_LIMIT_BYTES);
  return body;
}

/** One annotation of 1.3 million values, far past what the API server stores (256 KiB). */
function oneHugeAnnotation(): Buffer {
  return invalidSpecWith([childWithLastApplied('huge', 1_300_000)]);
}

/** Fifteen annotations each under 256 KiB (about 80,000 values), 1.2 million values in all. */
function manyLargeAnnotations(): Buffer {
  return invalidSpecWith(
    Array.from({ length: 15 }, (_, i) => childWithLastApplied(`large-${i}`, 80_000)),
  );
}

/** A ConfigMap whose list `items` metacontroller's Apply entry owns by these keys. */
function childWithManagedList(keys: string[], items: Json[]): Json {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: 'fields',
      namespace: 'load',
      managedFields: [
        {
          manager: 'metacontroller',
          operation: 'Apply',
          fieldsType: 'FieldsV1',
          fieldsV1: { 'f:data': {}, 'f:items': Object.fromEntries(keys.map((k) => [k, {}])) },
        },
      ],
    },
    data: {},
    items,
  };
}

const names = (count: number) => Array.from({ length: count }, (_, i) => `c${i}`);

/** 1,000 keys of 1,000 values each (a million in all) over 1,000 items none of them selects. */
function heavyManagedFieldKeys(): Buffer {
  const heavy = `[${'{},'.repeat(999)}{}]`;
  return invalidSpecWith([
    childWithManagedList(
      names(1_000).map((name) => `k:{"name":"${name}","x":${heavy}}`),
      names(1_000).map((name) => ({ name })),
    ),
  ]);
}

/** 6,000 keys over 6,000 items, each key selecting the last item it is compared with. */
function longManagedList(): Buffer {
  return invalidSpecWith([
    childWithManagedList(
      names(6_000).map((name) => `k:{"name":"${name}"}`),
      names(6_000)
        .reverse()
        .map((name) => ({ name })),
    ),
  ]);
}

describe('hostile: JSON inside annotations and managedFields keys (memory, liveness)', function () {
  this.timeout(120_000);
  let webhook: WebhookProcess;

  // A process per case: its peak resident set is then that case's alone.
  beforeEach(async () => {
    webhook = await startWebhook({});
  });

  afterEach(async () => {
    await webhook?.kill();
  });

  /** PYLAMBDA_MAX_INFLIGHT copies of `body` at once, /healthz probed meanwhile. */
  async function floodWatched(body: Buffer): Promise<{ outcomes: Outcome[]; slowest: number }> {
    const { result, slowestHealthz } = await watchWebhook(webhook, () =>
      Promise.all(
        Array.from({ length: MAX_INFLIGHT }, () =>
          call({ port: webhook.port, path: SYNC, body, agent: false, timeoutMs: 60_000 }),
        ),
      ),
    );
    return { outcomes: result, slowest: slowestHealthz };
  }

  for (const [what, build, kept] of [
    ['one annotation of 1.3 million values', oneHugeAnnotation, 1],
    ['fifteen annotations of 80,000 values each', manyLargeAnnotations, 15],
    ['managedFields keys of a million values in all', heavyManagedFieldKeys, 1],
    ['a managedFields list of 6,000 keys over 6,000 items', longManagedList, 1],
  ] as const) {
    it(`carries over children with ${what}, within the memory budget`, async () => {
      const { outcomes, slowest } = await floodWatched(build());
      const peak = peakRss(webhook.pid);
      console.log(
        `      peak VmHWM ${(peak / MiB).toFixed(0)} MiB (budget ${MEMORY_BUDGET / MiB} MiB), ` +
          `slowest /healthz ${slowest} ms`,
      );
      for (const outcome of outcomes) {
        expect(outcome.kind === 'response' && outcome.status, describeOutcome(outcome)).to.equal(
          200,
        );
        const answer = JSON.parse(outcome.kind === 'response' ? outcome.text : '{}') as {
          children: unknown[];
        };
        expect(answer.children).to.have.length(kept);
      }
      expect(peak).to.be.below(MEMORY_BUDGET);
      expect(slowest).to.be.below(LIVENESS_TIMEOUT_MS);
    });
  }
});
