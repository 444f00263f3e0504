// Overload: PYLAMBDA_MAX_INFLIGHT=4 and a burst from 32 keep-alive connections at once, half of
// them sending their bodies slowly and the rest sending large ones, so that calls overlap. The
// calls past the bound are refused at once with 429, Retry-After and a JSON error; none times
// out or loses its connection; every call let in gets the same correct answer it gets alone.
import { Agent } from 'node:http';
import { expect } from 'chai';
import { okReplyProblems } from '../property/support/contract.js';
import { call, describeOutcome, type Outcome } from './support/client.js';
import { SYNC, syncRequest } from './support/requests.js';
import { startWebhook, type WebhookProcess } from './support/webhook-process.js';

const MAX_INFLIGHT = 4;
const RETRY_AFTER = 2;
const CONNECTIONS = 32;
const CALLS_PER_CONNECTION = 5;
const BODIES = 8;

describe('hostile: overload (PYLAMBDA_MAX_INFLIGHT=4, a burst of 8x capacity)', function () {
  this.timeout(60_000);
  let webhook: WebhookProcess;
  let outcomes: { body: number; slow: boolean; outcome: Outcome }[] = [];
  const bodies = Array.from({ length: BODIES }, (_, i) =>
    syncRequest(i, i % 2 === 0 ? 2_000 : 600_000),
  );
  const reference: string[] = [];

  before(async () => {
    webhook = await startWebhook({
      PYLAMBDA_MAX_INFLIGHT: String(MAX_INFLIGHT),
      PYLAMBDA_RETRY_AFTER_SECONDS: String(RETRY_AFTER),
    });
    // Each body's answer when the service is idle: what every 200 under load must equal.
    for (const body of bodies) {
      const alone = await call({ port: webhook.port, path: SYNC, body, agent: false });
      expect(alone.kind === 'response' && alone.status, describeOutcome(alone)).to.equal(200);
      reference.push(alone.kind === 'response' ? alone.text : '');
    }

    const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
    const started = Date.now();
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async (_, connection) => {
        for (let k = 0; k < CALLS_PER_CONNECTION; k += 1) {
          const index = (connection + k) % BODIES;
          // Small bodies trickle in over ~300 ms; large ones arrive at full speed.
          const slow = index % 2 === 0;
          const outcome = await call({
            port: webhook.port,
            path: SYNC,
            body: bodies[index],
            agent,
            ...(slow ? { chunks: 4, chunkDelayMs: 100 } : {}),
          });
          outcomes.push({ body: index, slow, outcome });
        }
      }),
    );
    agent.destroy();
    console.log(
      `      ${outcomes.length} calls in ${Date.now() - started} ms: ` +
        `${outcomes.filter((o) => o.outcome.kind === 'response' && o.outcome.status === 200).length} x 200, ` +
        `${outcomes.filter((o) => o.outcome.kind === 'response' && o.outcome.status === 429).length} x 429`,
    );
  });

  after(async () => {
    await webhook?.kill();
    outcomes = [];
  });

  it('gets an answer to every call: no timeout, no connection error', () => {
    const failed = outcomes
      .filter((o) => o.outcome.kind === 'error')
      .map((o) => describeOutcome(o.outcome));
    expect(failed).to.deep.equal([]);
    expect(outcomes).to.have.length(CONNECTIONS * CALLS_PER_CONNECTION);
  });

  it('refuses calls past the bound with 429, Retry-After and a JSON error, and lets the others in', () => {
    const statuses = new Set(
      outcomes.map((o) => (o.outcome.kind === 'response' ? o.outcome.status : 0)),
    );
    expect([...statuses].sort()).to.deep.equal([200, 429]);
    for (const { outcome } of outcomes) {
      if (outcome.kind !== 'response' || outcome.status !== 429) continue;
      expect(outcome.headers['retry-after']).to.equal(String(RETRY_AFTER));
      expect(outcome.headers['content-type']).to.match(/^application\/json/);
      expect((JSON.parse(outcome.text) as { error: string }).error).to.match(
        /PYLAMBDA_MAX_INFLIGHT=4/,
      );
    }
  });

  it('refuses at once, without reading the slow body first', () => {
    const refusedSlow = outcomes
      .filter((o) => o.slow && o.outcome.kind === 'response' && o.outcome.status === 429)
      .map((o) => o.outcome.endedAt - o.outcome.startedAt)
      .sort((a, b) => a - b);
    expect(refusedSlow.length).to.be.greaterThan(0);
    // A slow body takes 300 ms to send; the refusal comes before it is through.
    expect(refusedSlow[Math.floor(refusedSlow.length / 2)]!, 'median ms to a 429').to.be.below(300);
  });

  it('answers every call it lets in exactly as it does when idle', () => {
    for (const { body, outcome } of outcomes) {
      if (outcome.kind !== 'response' || outcome.status !== 200) continue;
      expect(outcome.text === reference[body], `body ${body}`).to.equal(true);
      expect(
        okReplyProblems(
          { status: 200, headers: outcome.headers, text: outcome.text },
          { hook: 'pythonlambda/sync', namespace: 'load' },
        ),
      ).to.deep.equal([]);
    }
  });

  it('counts every refusal in pylambda_hook_errors_total{reason="overloaded"}', async () => {
    const metrics = await call({ port: webhook.port, path: '/metrics', agent: false });
    expect(metrics.kind).to.equal('response');
    const text = metrics.kind === 'response' ? metrics.text : '';
    const line = text
      .split('\n')
      .find(
        (l) => l.startsWith('pylambda_hook_errors_total{') && l.includes('reason="overloaded"'),
      );
    const refused = outcomes.filter(
      (o) => o.outcome.kind === 'response' && o.outcome.status === 429,
    ).length;
    expect(Number(line?.split(' ').pop())).to.equal(refused);
  });
});
