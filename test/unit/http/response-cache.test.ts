import { expect } from 'chai';
import {
  ENTRY_OVERHEAD_BYTES as O,
  ResponseCache,
  responseCacheKey,
  standaloneBytes,
  stringBytes,
} from '../../../src/http/response-cache.js';

// Each entry costs a fixed overhead O and its key, ETag, body and identity bytes: O + 1 + 1 + 8 + 0 here.
const ENTRY = O + 10;
const answer = (body: string, requestBytes = 100) => ({
  body: Buffer.from(body),
  etag: 'e',
  identity: {},
  requestBytes,
});
const bytes = (text: string) => Buffer.from(text);

describe('ResponseCache', () => {
  it('keys by hook and request bytes', () => {
    const key = responseCacheKey('sync', bytes('{}'));
    expect(key).to.equal(responseCacheKey('sync', bytes('{}')));
    expect(key).to.not.equal(responseCacheKey('finalize', bytes('{}')));
    expect(key).to.not.equal(responseCacheKey('sync', bytes('{ }')));
    // The separator keeps the hook name and the body apart.
    expect(responseCacheKey('a', bytes('b{}'))).to.not.equal(responseCacheKey('ab', bytes('{}')));
  });

  it('counts the identity of the call it logs on a hit', () => {
    const cache = new ResponseCache(O + 100);
    cache.set('a', { ...answer('aaaaaaaa'), identity: { namespace: 'ns', name: 'fn' } });
    expect(cache.bytes).to.equal(O + 14);
    expect(cache.get('a')?.identity).to.deep.equal({ namespace: 'ns', name: 'fn' });
  });

  it('returns what was stored', () => {
    const cache = new ResponseCache(O + 100);
    cache.set('a', answer('aaaaaaaa'));
    expect(cache.get('a')).to.deep.equal(answer('aaaaaaaa'));
    expect(cache.get('b')).to.equal(undefined);
  });

  it('evicts the least recently used entries past the byte bound', () => {
    const cache = new ResponseCache(3 * ENTRY);
    cache.set('a', answer('aaaaaaaa'));
    cache.set('b', answer('bbbbbbbb'));
    cache.set('c', answer('cccccccc'));
    cache.get('a'); // now b is the least recently used
    cache.set('d', answer('dddddddd'));
    expect(cache.get('b')).to.equal(undefined);
    expect(cache.get('a')).to.not.equal(undefined);
    expect(cache.get('c')).to.not.equal(undefined);
    expect(cache.get('d')).to.not.equal(undefined);
    expect(cache.size).to.equal(3);
    expect(cache.bytes).to.equal(3 * ENTRY);
  });

  it('replaces an entry without counting it twice', () => {
    const cache = new ResponseCache(3 * ENTRY);
    cache.set('a', answer('aaaaaaaa'));
    cache.set('a', answer('AAAAAAAA'));
    expect(cache.bytes).to.equal(ENTRY);
    expect(cache.get('a')?.body.toString()).to.equal('AAAAAAAA');
  });

  it('knows the request lengths its entries answer, while they are held', () => {
    const cache = new ResponseCache(2 * ENTRY);
    cache.set('a', answer('aaaaaaaa', 300));
    cache.set('b', answer('bbbbbbbb', 300));
    expect(cache.requestLengthHeld(300)).to.equal(true);
    expect(cache.requestLengthHeld(301)).to.equal(false);
    cache.set('c', answer('cccccccc', 400)); // evicts a: b still answers 300 bytes
    expect(cache.requestLengthHeld(300)).to.equal(true);
    cache.set('d', answer('dddddddd', 400)); // evicts b
    expect(cache.requestLengthHeld(300)).to.equal(false);
    cache.set('d', answer('DDDDDDDD', 500)); // replaced: c still answers 400
    expect(cache.requestLengthHeld(400)).to.equal(true);
    expect(cache.requestLengthHeld(500)).to.equal(true);
    cache.set('e', answer('eeeeeeee', 600)); // evicts c
    expect(cache.requestLengthHeld(400)).to.equal(false);
  });

  it('skips an answer larger than the whole bound, keeping the rest', () => {
    const cache = new ResponseCache(3 * ENTRY);
    cache.set('a', answer('aaaaaaaa'));
    cache.set('big', answer('x'.repeat(3 * ENTRY)));
    expect(cache.get('big')).to.equal(undefined);
    expect(cache.get('a')).to.not.equal(undefined);
  });

  it('counts a string at two bytes a character once any is past Latin-1, as V8 holds it', () => {
    expect(stringBytes('café')).to.equal(4);
    expect(stringBytes('a€')).to.equal(4);
    const cache = new ResponseCache(O + 100);
    cache.set('a', { ...answer('x'), identity: { namespace: 'n€' } });
    expect(cache.bytes).to.equal(O + 1 + 1 + 1 + 4);
  });

  it('keeps answers in memory of their own, never a slice of the shared pool a small Buffer.from takes', () => {
    // A slice would keep its whole 8 KiB pool block alive: far more than the bytes counted.
    expect(Buffer.from('{"a":1}').buffer.byteLength).to.equal(Buffer.poolSize);
    const own = standaloneBytes('{"a":"é"}');
    expect(own.toString()).to.equal('{"a":"é"}');
    expect(own.buffer.byteLength).to.equal(own.length);
    expect(own.byteOffset).to.equal(0);
  });

  it('holds nothing with a bound of 0', () => {
    const cache = new ResponseCache(0);
    cache.set('a', answer(''));
    expect(cache.size).to.equal(0);
  });
});
