import { expect } from 'chai';
import { identityOf } from '../../../src/http/call-identity.js';

describe('identityOf (who a hook call is about, for its log line)', () => {
  it('takes the parent’s or the object’s namespace, name and generation', () => {
    const metadata = { namespace: 'demo', name: 'hello', generation: 3 };
    expect(identityOf({ parent: { metadata } })).to.deep.equal(metadata);
    expect(identityOf({ object: { metadata } })).to.deep.equal(metadata);
  });

  it('leaves out what is not shaped like a Kubernetes name or a generation', () => {
    const metadata = {
      namespace: { token: 'hunter2', spec: { code: 'secret code' } },
      name: 'x'.repeat(1_000_000),
      generation: '7',
    };
    expect(identityOf({ parent: { metadata } })).to.deep.equal({
      namespace: undefined,
      name: undefined,
      generation: undefined,
    });
    expect(identityOf({ parent: { metadata: { generation: 1.5 } } }).generation).to.equal(
      undefined,
    );
  });

  it('reads nothing from bodies without metadata', () => {
    for (const body of [null, [], 'text', { parent: null }, { parent: { metadata: null } }]) {
      expect(identityOf(body), JSON.stringify(body)).to.deep.equal({
        namespace: undefined,
        name: undefined,
        generation: undefined,
      });
    }
  });
});
