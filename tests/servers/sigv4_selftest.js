'use strict';
// Checks sigv4.js against AWS's published examples; exits 1 on any mismatch. Run by the
// evidence tests before they trust the store's verdicts.
const assert = require('assert');
const s = require('./sigv4');

// AWS Signature Version 4 test suite, "get-vanilla".
{
  const headers = { host: 'example.amazonaws.com', 'x-amz-date': '20150830T123600Z' };
  const canonical = s.canonicalRequest({ method: 'GET', path: '/', query: '', headers,
    signedHeaders: ['host', 'x-amz-date'], payloadHash: s.sha256Hex('') });
  assert.strictEqual(s.signature({ secret: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', date: '20150830',
    region: 'us-east-1', service: 'service', amzDate: '20150830T123600Z', canonical }),
    '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31', 'get-vanilla');
}
// AWS Signature Version 4 test suite, "get-vanilla-query-order-key-case" (sorted query).
{
  const headers = { host: 'example.amazonaws.com', 'x-amz-date': '20150830T123600Z' };
  const canonical = s.canonicalRequest({ method: 'GET', path: '/', query: 'Param2=value2&Param1=value1', headers,
    signedHeaders: ['host', 'x-amz-date'], payloadHash: s.sha256Hex('') });
  assert.strictEqual(s.signature({ secret: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', date: '20150830',
    region: 'us-east-1', service: 'service', amzDate: '20150830T123600Z', canonical }),
    'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500', 'get-vanilla-query-order-key-case');
}
// Amazon S3 API reference, "Signature Calculations for the Authorization Header", GET Object.
{
  const headers = { host: 'examplebucket.s3.amazonaws.com', range: 'bytes=0-9',
    'x-amz-content-sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    'x-amz-date': '20130524T000000Z' };
  const canonical = s.canonicalRequest({ method: 'GET', path: '/test.txt', query: '', headers,
    signedHeaders: ['host', 'range', 'x-amz-content-sha256', 'x-amz-date'],
    payloadHash: headers['x-amz-content-sha256'] });
  assert.strictEqual(s.signature({ secret: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', date: '20130524',
    region: 'us-east-1', service: 's3', amzDate: '20130524T000000Z', canonical }),
    'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41', 'S3 GET Object example');
}
// Same page, PUT Object (a body, its hash, a path needing encoding).
{
  const body = 'Welcome to Amazon S3.';
  const headers = { date: 'Fri, 24 May 2013 00:00:00 GMT', host: 'examplebucket.s3.amazonaws.com',
    'x-amz-content-sha256': s.sha256Hex(body), 'x-amz-date': '20130524T000000Z',
    'x-amz-storage-class': 'REDUCED_REDUNDANCY' };
  assert.strictEqual(headers['x-amz-content-sha256'], '44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072');
  const canonical = s.canonicalRequest({ method: 'PUT', path: '/test%24file.text', query: '', headers,
    signedHeaders: ['date', 'host', 'x-amz-content-sha256', 'x-amz-date', 'x-amz-storage-class'],
    payloadHash: headers['x-amz-content-sha256'] });
  assert.strictEqual(s.signature({ secret: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', date: '20130524',
    region: 'us-east-1', service: 's3', amzDate: '20130524T000000Z', canonical }),
    '98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd', 'S3 PUT Object example');
}
console.log('sigv4 self-test: ok');
