'use strict';
// An independent AWS Signature Version 4 implementation (Node's crypto), used by the test
// store to check every request the host sends. Checked against AWS's published examples in
// sigv4_selftest.js.
const crypto = require('crypto');

const hmac = (key, data) => crypto.createHmac('sha256', key).update(data).digest();
const sha256Hex = data => crypto.createHash('sha256').update(data).digest('hex');

// RFC 3986 encoding as SigV4 wants it (unreserved kept).
function uriEncode(s, keepSlash) {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c) || (keepSlash && c === '/')) out += c;
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

// Query string → canonical form: each name and value decoded then encoded, sorted by name.
function canonicalQuery(rawQuery) {
  if (!rawQuery) return '';
  const pairs = rawQuery.split('&').filter(Boolean).map(p => {
    const i = p.indexOf('=');
    const name = decodeURIComponent(i < 0 ? p : p.slice(0, i));
    const value = i < 0 ? '' : decodeURIComponent(p.slice(i + 1).replace(/\+/g, ' '));
    return [uriEncode(name, false), uriEncode(value, false)];
  });
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([n, v]) => `${n}=${v}`).join('&');
}

// S3 signs the path exactly as sent (already URI-encoded once, no normalisation).
function canonicalRequest({ method, path, query, headers, signedHeaders, payloadHash }) {
  const canonHeaders = signedHeaders
    .map(h => {
      const v = headers[h];
      const value = (Array.isArray(v) ? v.join(',') : String(v ?? '')).trim().replace(/\s+/g, ' ');
      return `${h}:${value}\n`;
    })
    .join('');
  return [method, path, canonicalQuery(query), canonHeaders, signedHeaders.join(';'), payloadHash].join('\n');
}

function signature({ secret, date, region, service, amzDate, canonical }) {
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonical)].join('\n');
  const kDate = hmac('AWS4' + secret, date);
  const kRegion = hmac(kDate, region);
  const kService = hmac(kRegion, service);
  const kSigning = hmac(kService, 'aws4_request');
  return crypto.createHmac('sha256', kSigning).update(stringToSign).digest('hex');
}

// "AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request, SignedHeaders=a;b, Signature=hex"
function parseAuthorization(header) {
  const m = /^AWS4-HMAC-SHA256\s+Credential=([^,]+),\s*SignedHeaders=([^,]+),\s*Signature=([0-9a-f]{64})$/.exec(header || '');
  if (!m) return null;
  const [accessKey, date, region, service, terminator] = m[1].split('/');
  if (terminator !== 'aws4_request') return null;
  return { accessKey, date, region, service, signedHeaders: m[2].split(';'), signature: m[3] };
}

module.exports = { uriEncode, canonicalQuery, canonicalRequest, signature, parseAuthorization, sha256Hex };
