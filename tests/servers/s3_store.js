'use strict';
// The test object store: s3rver (a real S3 API on disk) behind a proxy that authenticates
// every request the way S3 does — SigV4 recomputed independently (sigv4.js), the payload's
// SHA-256 checked against x-amz-content-sha256 (and x-amz-checksum-sha256 when sent) — and
// records what it saw, one JSON line per request, to --log.
//
//   node s3_store.js --dir DIR --secret SECRET [--port 0] [--region us-east-1]
//                    [--bucket NAME]... [--log FILE] [--part-delay-ms N]
// Writes {"event":"listening","port":N} to stderr once ready. s3rver's data lives in DIR, so a store
// killed and restarted on the same port and DIR keeps its objects.
const http = require('http');
const fs = require('fs');
const crypto = require('crypto');
const S3rver = require('s3rver');
const sigv4 = require('./sigv4');

function args() {
  const out = { port: 0, region: 'us-east-1', buckets: [], partDelayMs: 0 };
  const a = process.argv.slice(2);
  for (let i = 0; i < a.length; i += 2) {
    const v = a[i + 1];
    switch (a[i]) {
      case '--dir': out.dir = v; break;
      case '--secret': out.secret = v; break;
      case '--port': out.port = Number(v); break;
      case '--region': out.region = v; break;
      case '--bucket': out.buckets.push(v); break;
      case '--log': out.log = v; break;
      case '--part-delay-ms': out.partDelayMs = Number(v); break;
      default: throw new Error('unknown option ' + a[i]);
    }
  }
  if (!out.dir || !out.secret) throw new Error('--dir and --secret are required');
  return out;
}

const opt = args();

function record(entry) {
  if (opt.log) fs.appendFileSync(opt.log, JSON.stringify(entry) + '\n');
}

function s3Error(res, status, code, message) {
  res.writeHead(status, { 'Content-Type': 'application/xml' });
  res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`);
}

// What S3 would say about this request, or null when it is authentic and intact.
function verify(req, body) {
  const h = req.headers;
  const auth = sigv4.parseAuthorization(h.authorization);
  if (!auth) return [403, 'AccessDenied', 'missing or malformed AWS4-HMAC-SHA256 Authorization'];
  if (!h['x-amz-content-sha256'])
    return [400, 'InvalidRequest', 'Missing required header for this request: x-amz-content-sha256'];
  if (h['x-amz-content-sha256'] === 'UNSIGNED-PAYLOAD') return [400, 'InvalidRequest', 'unsigned payloads refused here'];
  if (sigv4.sha256Hex(body) !== h['x-amz-content-sha256'])
    return [400, 'XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed."];
  if (h['x-amz-checksum-sha256'] &&
      crypto.createHash('sha256').update(body).digest('base64') !== h['x-amz-checksum-sha256'])
    return [400, 'BadDigest', 'The SHA256 you specified did not match the calculated checksum.'];
  for (const need of ['host', 'x-amz-date', 'x-amz-content-sha256'])
    if (!auth.signedHeaders.includes(need)) return [403, 'AccessDenied', `${need} must be signed`];
  for (const name of Object.keys(h))
    if (name.startsWith('x-amz-') && !auth.signedHeaders.includes(name))
      return [403, 'AccessDenied', `There were headers present in the request which were not signed: ${name}`];
  if (auth.region !== opt.region || auth.service !== 's3' || !h['x-amz-date'].startsWith(auth.date))
    return [403, 'SignatureDoesNotMatch', 'credential scope does not match'];
  const t = Date.parse(h['x-amz-date'].replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z'));
  if (!(Math.abs(Date.now() - t) < 15 * 60 * 1000)) return [403, 'RequestTimeTooSkewed', 'request time too skewed'];
  const [path, query = ''] = req.url.split(/\?(.*)/s);
  const canonical = sigv4.canonicalRequest({ method: req.method, path, query, headers: h,
    signedHeaders: auth.signedHeaders, payloadHash: h['x-amz-content-sha256'] });
  const expected = sigv4.signature({ secret: opt.secret, date: auth.date, region: auth.region, service: 's3',
    amzDate: h['x-amz-date'], canonical });
  if (expected !== auth.signature)
    return [403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.'];
  return null;
}

async function main() {
  const store = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: opt.dir,
    configureBuckets: opt.buckets.map(name => ({ name })) });
  const innerPort = (await store.run()).port;

  const proxy = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', c => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const verdict = verify(req, body);
      const entry = { method: req.method, url: req.url, bytes: body.length,
        sha256: sigv4.sha256Hex(body), verified: !verdict };
      if (verdict) {
        record({ ...entry, status: verdict[0], error: verdict[1] });
        return s3Error(res, ...verdict);
      }
      const isPart = req.method === 'PUT' && /[?&]partNumber=/.test(req.url);
      const forward = () => {
        const headers = { ...req.headers };
        delete headers.authorization;  // authenticated here; s3rver does not check SigV4
        headers['content-length'] = String(body.length);
        delete headers['transfer-encoding'];
        delete headers.expect;
        const up = http.request({ host: '127.0.0.1', port: innerPort, method: req.method, path: req.url, headers },
          upRes => {
            const out = [];
            upRes.on('data', c => out.push(c));
            upRes.on('end', () => {
              record({ ...entry, status: upRes.statusCode });
              res.writeHead(upRes.statusCode, upRes.headers);
              res.end(Buffer.concat(out));
            });
          });
        up.on('error', e => s3Error(res, 500, 'InternalError', e.message));
        up.end(body);
      };
      if (isPart && opt.partDelayMs) setTimeout(forward, opt.partDelayMs);
      else forward();
    });
  });
  proxy.listen(opt.port, '127.0.0.1', () => {
    // The line tests/support (dial::HostProcess) waits for.
    process.stderr.write(JSON.stringify({ event: 'listening', port: proxy.address().port }) + '\n');
  });
}

main().catch(e => {
  console.error(e.stack || String(e));
  process.exit(1);
});
