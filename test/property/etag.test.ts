// Metacontroller's ETag protocol on generated requests (docs/metacontroller.md §6): every 200
// carries an ETag; If-None-Match naming it (alone, weak, in a list, or `*`) gets a 304 with no
// body; naming only other tags gets the full 200; a different answer has a different ETag.
import { expect } from 'chai';
import fc from 'fast-check';
import { assertParameters, countGenerated } from './support/budget.js';
import { HOOK_PATHS, replyProblems } from './support/contract.js';
import { useHookServer } from './support/hook-server.js';
import { goJson } from '../fixtures/go-json.js';
import { validRequest } from './support/valid-requests.js';

const otherTag = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9_-]{1,27}$/).map((t) => `"${t}"`),
  fc.constantFrom('"a"', 'W/"b"', '""'),
);

/** Where the answer's own ETag goes in a matching If-None-Match, in the forms RFC 9110 allows. */
const headerShape = fc.record({
  before: fc.array(otherTag, { maxLength: 3 }),
  after: fc.array(otherTag, { maxLength: 3 }),
  form: fc.constantFrom<'strong' | 'weak' | 'star'>('strong', 'weak', 'star'),
  comma: fc.constantFrom(',', ', ', ' ,  '),
  others: fc.array(otherTag, { minLength: 1, maxLength: 4 }),
});

type HeaderShape = typeof headerShape extends fc.Arbitrary<infer T> ? T : never;

function matching(shape: HeaderShape, etag: string): string {
  const tag = { strong: etag, weak: `W/${etag}`, star: '*' }[shape.form];
  return [...shape.before, tag, ...shape.after].join(shape.comma);
}

function notMatching(shape: HeaderShape, etag: string): string {
  return shape.others.filter((t) => t.replace(/^W\//, '') !== etag).join(', ') || '"none"';
}

/** The same request about an object of another name. */
function renamed(request: Record<string, unknown>): Record<string, unknown> {
  const key = 'parent' in request ? 'parent' : 'object';
  const object = request[key] as { metadata: { name: string } };
  const characters = Array.from(object.metadata.name);
  const next =
    characters.length < 250 ? `${characters.join('')}-b` : `b${characters.slice(1).join('')}`;
  return { ...request, [key]: { ...object, metadata: { ...object.metadata, name: next } } };
}

describe('property: ETag and If-None-Match on every hook (generated)', function () {
  this.timeout(240_000);
  const server = useHookServer();

  it('answers 304 with no body to a matching If-None-Match, 200 otherwise, and a new ETag for a new answer', async () => {
    await fc.assert(
      fc.asyncProperty(validRequest, headerShape, async (valid, shape) => {
        const path = HOOK_PATHS[valid.hook];
        const body = goJson(valid.request);
        countGenerated(2);
        const plain = await server.call(path, body);
        expect(plain.status, plain.text.slice(0, 300)).to.equal(200);
        expect(
          replyProblems(plain, { hook: valid.hook, namespace: valid.namespace }).join('\n'),
        ).to.equal('');
        const etag = String(plain.headers.etag);

        const hit = matching(shape, etag);
        const cached = await server.call(path, body, { headers: { 'if-none-match': hit } });
        expect(cached.status, `If-None-Match: ${hit}`).to.equal(304);
        expect(cached.text).to.equal('');
        expect(cached.headers.etag).to.equal(etag);

        const miss = notMatching(shape, etag);
        const fresh = await server.call(path, body, { headers: { 'if-none-match': miss } });
        expect(fresh.status, `If-None-Match: ${miss}`).to.equal(200);
        expect(fresh.text === plain.text).to.equal(true);
        expect(fresh.headers.etag).to.equal(etag);

        // A changed request: its ETag is the old one exactly when its answer is the old one.
        const changed = goJson(renamed(valid.request));
        const changedPlain = await server.call(path, changed);
        expect(changedPlain.status).to.equal(200);
        const sameAnswer = changedPlain.text === plain.text;
        expect(
          changedPlain.headers.etag === etag,
          'same ETag exactly for the same answer',
        ).to.equal(sameAnswer);
        const conditional = await server.call(path, changed, {
          headers: { 'if-none-match': etag },
        });
        expect(conditional.status).to.equal(sameAnswer ? 304 : 200);
        if (!sameAnswer) expect(conditional.text === changedPlain.text).to.equal(true);
      }),
      assertParameters('etag'),
    );
  });
});
