import { expect } from 'chai';
import { ResponseCache, responseCacheKey } from '../../../src/http/response-cache.js';

// Each entry costs its key, ETag and body bytes: 1 + 1 + 8 = 10 here.
const answer = (body: string) => ({ body, etag: 'e' });

describe('ResponseCache', () => {
  it('keys by hook and request text', () => {
    expect(responseCacheKey('sync', '{}')).to.equal(responseCacheKey('sync', '{}'));
    expect(responseCacheKey('sync', '{}')).to.not.equal(responseCacheKey('finalize', '{}'));
    expect(responseCacheKey('sync', '{}')).to.not.equal(responseCacheKey('sync', '{ }'));
  });

  it('returns what was stored', () => {
    const cache = new ResponseCache(100);
    cache.set('a', answer('aaaaaaaa'));
    expect(cache.get('a')).to.deep.equal(answer('aaaaaaaa'));
    expect(cache.get('b')).to.equal(undefined);
  });

  it('evicts the least recently used entries past the byte bound', () => {
    const cache = new ResponseCache(30);
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
    expect(cache.bytes).to.equal(30);
  });

  it('replaces an entry without counting it twice', () => {
    const cache = new ResponseCache(30);
    cache.set('a', answer('aaaaaaaa'));
    cache.set('a', answer('AAAAAAAA'));
    expect(cache.bytes).to.equal(10);
    expect(cache.get('a')?.body).to.equal('AAAAAAAA');
  });

  it('skips an answer larger than the whole bound, keeping the rest', () => {
    const cache = new ResponseCache(30);
    cache.set('a', answer('aaaaaaaa'));
    cache.set('big', answer('x'.repeat(40)));
    expect(cache.get('big')).to.equal(undefined);
    expect(cache.get('a')).to.not.equal(undefined);
  });

  it('holds nothing with a bound of 0', () => {
    const cache = new ResponseCache(0);
    cache.set('a', answer(''));
    expect(cache.size).to.equal(0);
  });
});
