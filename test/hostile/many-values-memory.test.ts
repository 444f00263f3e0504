// Requests that are small as bytes and huge as values: `{"parent":{"metadata":[{},{},...]}}`
// just under the body limit (millions of `{}`), PYLAMBDA_MAX_INFLIGHT of them at once, with the
// limits the pod runs with. The process's resident memory must stay under the memory budget
// (below the pod's limit in config/manager), and /healthz must keep answering within its
// probe's timeout.
import { expect } from 'chai';
import { DEFAULT_BODY_LIMIT_BYTES } from '../../src/config.js';
import { call, describeOutcome, type Outcome } from './support/client.js';
import { MiB } from './support/memory.js';
import { SYNC } from './support/requests.js';
import { watchWebhook } from './support/watch.js';
import { startWebhook, type WebhookProcess } from './support/webhook-process.js';

// The most the webhook may hold under attack: a third below the pod's 384Mi memory limit
// (config/manager/deployment.yaml), so the worst case measured leaves headroom.
const MEMORY_BUDGET = 256 * MiB;
const MAX_INFLIGHT = 16; // the default
const ROUNDS = 2;
const LIVENESS_TIMEOUT_MS = 2_000; // the pod's livenessProbe

function manyValues(bytes: number): string {
  const head = '{"parent":{"metadata":[';
  const tail = ']}}';
  const count = Math.floor((bytes - head.length - tail.length) / 3);
  return head + '{},'.repeat(count - 1) + '{}' + tail;
}

describe('hostile: requests of millions of values (memory)', function () {
  this.timeout(120_000);
  let webhook: WebhookProcess;

  before(async () => {
    webhook = await startWebhook({});
  });

  after(async () => {
    await webhook?.kill();
  });

  it('stays under the memory budget and keeps /healthz prompt, refusing each with 413', async () => {
    // Built once: the test's own event loop must stay free to time the probes.
    const body = Buffer.from(manyValues(DEFAULT_BODY_LIMIT_BYTES - 1024));
    const {
      result: outcomes,
      slowestHealthz,
      peakRss: peak,
    } = await watchWebhook(webhook, async () => {
      const outcomes: Outcome[] = [];
      for (let round = 0; round < ROUNDS; round += 1) {
        outcomes.push(
          ...(await Promise.all(
            Array.from({ length: MAX_INFLIGHT }, () =>
              call({ port: webhook.port, path: SYNC, body, agent: false, timeoutMs: 60_000 }),
            ),
          )),
        );
      }
      return outcomes;
    });
    console.log(
      `      peak VmRSS ${(peak / MiB).toFixed(0)} MiB (budget ${MEMORY_BUDGET / MiB} MiB), ` +
        `slowest /healthz ${slowestHealthz} ms`,
    );
    for (const outcome of outcomes) {
      expect(outcome.kind === 'response' && outcome.status, describeOutcome(outcome)).to.equal(413);
      expect(outcome.kind === 'response' && outcome.text).to.include('PYLAMBDA_MAX_JSON_VALUES');
    }
    expect(peak).to.be.below(MEMORY_BUDGET);
    expect(slowestHealthz).to.be.below(LIVENESS_TIMEOUT_MS);
  });
});
