// A renewed certificate served without a restart (src/http/tls-reload.ts), against the real
// server process: the Secret volume laid out as the kubelet lays it out (files behind a `..data`
// symlink that is swapped in one rename), a pair that does not load skipped, a good one picked up.
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { servingNames } from '../../src/certs/certificate-names.js';
import { issueCA, issueServing, type IssuedPair } from '../../src/certs/issue-certificates.js';
import { call, describeOutcome } from './support/client.js';
import { startWebhook, type WebhookProcess } from './support/webhook-process.js';

const NAME = 'pylambda-webhook.pylambda-system';

describe('TLS certificate reload (PYLAMBDA_TLS_RELOAD_SECONDS)', function () {
  this.timeout(60_000);
  let dir: string;
  let webhook: WebhookProcess;
  let first: { ca: IssuedPair; serving: IssuedPair };
  let second: { ca: IssuedPair; serving: IssuedPair };
  let generation = 0;

  async function pair(): Promise<{ ca: IssuedPair; serving: IssuedPair }> {
    const now = new Date();
    const ca = await issueCA('pylambda-webhook-ca', now);
    return {
      ca,
      serving: await issueServing(
        ca,
        servingNames('pylambda-webhook', 'pylambda-system', 'cluster.local', []),
        now,
      ),
    };
  }

  /** What the kubelet does on a Secret update: a new timestamped directory, then `..data` swapped. */
  function publish(files: { cert: string; key: string }): void {
    const next = join(dir, `..gen_${generation++}`);
    mkdirSync(next);
    writeFileSync(join(next, 'tls.crt'), files.cert);
    writeFileSync(join(next, 'tls.key'), files.key);
    symlinkSync(next, join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
  }

  const trusting = (ca: IssuedPair) =>
    call({
      port: webhook.port,
      path: '/healthz',
      method: 'GET',
      agent: false,
      https: { ca: ca.certificatePem, servername: NAME },
    });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pylambda-tls-volume-'));
    first = await pair();
    second = await pair();
    publish({ cert: first.serving.certificatePem, key: first.serving.keyPem });
    symlinkSync('..data/tls.crt', join(dir, 'tls.crt'));
    symlinkSync('..data/tls.key', join(dir, 'tls.key'));
    webhook = await startWebhook({
      PYLAMBDA_TLS_CERT_FILE: join(dir, 'tls.crt'),
      PYLAMBDA_TLS_KEY_FILE: join(dir, 'tls.key'),
      PYLAMBDA_TLS_RELOAD_SECONDS: '1',
    });
  });

  after(async () => {
    await webhook?.kill();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('serves the mounted certificate', async () => {
    const outcome = await trusting(first.ca);
    expect(outcome.kind === 'response' && outcome.status, describeOutcome(outcome)).to.equal(200);
  });

  it('keeps serving it when the new files do not load (a key of another certificate)', async () => {
    publish({ cert: second.serving.certificatePem, key: first.serving.keyPem });
    const deadline = Date.now() + 10_000;
    while (
      !webhook.logs.some((l) => String(l.msg).includes('do not load')) &&
      Date.now() < deadline
    )
      await sleep(100);
    expect(
      webhook.logs.some((l) => String(l.msg).includes('do not load')),
      'a warning logged',
    ).to.equal(true);
    const outcome = await trusting(first.ca);
    expect(outcome.kind === 'response' && outcome.status, describeOutcome(outcome)).to.equal(200);
  });

  it('serves a renewed pair on new connections within the reload period, without a restart', async () => {
    publish({ cert: second.serving.certificatePem, key: second.serving.keyPem });
    const deadline = Date.now() + 10_000;
    let outcome = await trusting(second.ca);
    while (outcome.kind !== 'response' && Date.now() < deadline) {
      await sleep(200);
      outcome = await trusting(second.ca);
    }
    expect(outcome.kind === 'response' && outcome.status, describeOutcome(outcome)).to.equal(200);
    expect(webhook.logs.some((l) => l.msg === 'serving a renewed TLS certificate')).to.equal(true);
    const old = await trusting(first.ca);
    expect(old.kind === 'error' && old.code, 'the old CA no longer verifies it').to.equal(
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    );
    const exit = await Promise.race([webhook.exited, sleep(100).then(() => undefined)]);
    expect(exit, 'the process kept running').to.equal(undefined);
  });
});
