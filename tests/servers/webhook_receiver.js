'use strict';
// The test webhook receiver: verifies every delivery with the Standard Webhooks reference
// library (npm "standardwebhooks") and appends it to --log as one JSON line
// {id, timestamp, signature_ok, status, body}. --fail-first N answers 503 to the first N
// deliveries (retries must come back with the same webhook-id); --delay-ms N holds every
// answer that long; --hold-nth N never answers the Nth delivery (a host killed while a
// delivery is in flight).
//
//   node webhook_receiver.js --secret whsec_... --log FILE [--port 0] [--fail-first N] [--delay-ms N] [--hold-nth N]
// Writes {"event":"listening","port":N} to stderr once ready.
const http = require('http');
const fs = require('fs');
const { Webhook } = require('standardwebhooks');

const opt = { port: 0, failFirst: 0, delayMs: 0, holdNth: 0 };
const a = process.argv.slice(2);
for (let i = 0; i < a.length; i += 2) {
  if (a[i] === '--secret') opt.secret = a[i + 1];
  else if (a[i] === '--log') opt.log = a[i + 1];
  else if (a[i] === '--port') opt.port = Number(a[i + 1]);
  else if (a[i] === '--fail-first') opt.failFirst = Number(a[i + 1]);
  else if (a[i] === '--delay-ms') opt.delayMs = Number(a[i + 1]);
  else if (a[i] === '--hold-nth') opt.holdNth = Number(a[i + 1]);
  else throw new Error('unknown option ' + a[i]);
}
const wh = new Webhook(opt.secret);
let seen = 0;

http.createServer((req, res) => {
  const chunks = [];
  req.on('data', c => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    let ok = true;
    let error;
    try {
      wh.verify(body, req.headers);
    } catch (e) {
      ok = false;
      error = String(e.message || e);
    }
    const nth = ++seen;
    const status = !ok ? 401 : nth <= opt.failFirst ? 503 : 204;
    fs.appendFileSync(opt.log, JSON.stringify({ id: req.headers['webhook-id'], timestamp: req.headers['webhook-timestamp'],
      signature_ok: ok, error, status, body }) + '\n');
    if (nth === opt.holdNth) return;  // never answered: the sender is stuck in this delivery
    setTimeout(() => {
      res.writeHead(status);
      res.end();
    }, opt.delayMs);
  });
}).listen(opt.port, '127.0.0.1', function () {
  process.stderr.write(JSON.stringify({ event: 'listening', port: this.address().port }) + '\n');
});
