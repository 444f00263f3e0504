// Invalid requests whose errors would be many times their size: a request of 60,000 empty
// children (three schema errors each), and a spec of 25,000 bad env entries. PYLAMBDA_MAX_INFLIGHT
// of them at once must be answered 400 with a short list of problems, and the process must stay
// under the memory budget (256 MiB, below the pod's limit in config/manager).
import { expect } from 'chai';
import { call, describeOutcome, type Outcome } from './support/client.js';
import { MiB, peakRss } from './support/memory.js';
import { SYNC, syncRequest } from './support/requests.js';
import { startWebhook, type WebhookProcess } from './support/webhook-process.js';

// The most the webhook may hold under attack: a third below the pod's 384Mi memory limit
// (config/manager/deployment.yaml), so the worst case measured leaves headroom.
const MEMORY_BUDGET = 256 * MiB;
const MAX_INFLIGHT = 16; // the default

function withEmptyChildren(count: number): Buffer {
  const request = JSON.parse(syncRequest(1)) as { children: Record<string, unknown> };
  request.children['ConfigMap.v1'] = Object.fromEntries(
    Array.from({ length: count }, (_, i) => [`c${i}`, {}]),
  );
  return Buffer.from(JSON.stringify(request));
}

function withBadEnv(count: number): Buffer {
  const request = JSON.parse(syncRequest(1)) as { parent: { spec: Record<string, unknown> } };
  request.parent.spec.env = Array.from({ length: count }, () => ({ name: 1, value: 2, x: 3 }));
  return Buffer.from(JSON.stringify(request));
}

describe('hostile: invalid requests with many errors (memory)', function () {
  this.timeout(120_000);
  let webhook: WebhookProcess;

  before(async () => {
    webhook = await startWebhook({});
  });

  after(async () => {
    await webhook?.kill();
  });

  const flood = (body: Buffer): Promise<Outcome[]> =>
    Promise.all(
      Array.from({ length: MAX_INFLIGHT }, () =>
        call({ port: webhook.port, path: SYNC, body, agent: false, timeoutMs: 60_000 }),
      ),
    );

  it('answers a request of 60,000 invalid children with its first problem, within the memory budget', async () => {
    const outcomes = await flood(withEmptyChildren(60_000));
    for (const outcome of outcomes) {
      expect(outcome.kind === 'response' && outcome.status, describeOutcome(outcome)).to.equal(400);
      const answer = JSON.parse(outcome.kind === 'response' ? outcome.text : '{}') as {
        problems?: { path: string }[];
      };
      expect(answer.problems).to.have.length(1);
      expect(answer.problems![0]!.path).to.match(/^children\["ConfigMap\.v1"\]\.c0/);
    }
    console.log(`      peak VmHWM ${(peakRss(webhook.pid) / MiB).toFixed(0)} MiB`);
    expect(peakRss(webhook.pid)).to.be.below(MEMORY_BUDGET);
  });

  it('sets Ready=False with one problem for a spec of 25,000 bad env entries, within the memory budget', async () => {
    const outcomes = await flood(withBadEnv(25_000));
    for (const outcome of outcomes) {
      expect(outcome.kind === 'response' && outcome.status, describeOutcome(outcome)).to.equal(200);
      const answer = JSON.parse(outcome.kind === 'response' ? outcome.text : '{}') as {
        status: { conditions: { type: string; status: string; message: string }[] };
      };
      const ready = answer.status.conditions.find((c) => c.type === 'Ready');
      expect(ready?.status).to.equal('False');
      expect(ready?.message).to.match(/^invalid spec: spec: holds more than 20000 values/);
    }
    console.log(`      peak VmHWM ${(peakRss(webhook.pid) / MiB).toFixed(0)} MiB`);
    expect(peakRss(webhook.pid)).to.be.below(MEMORY_BUDGET);
  });
});
