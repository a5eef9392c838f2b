// tls_front.js: a TLS + HTTP/2 front for the plain fakes (fake_provider.py), node's standard
// library only. Terminates TLS on 127.0.0.1 (ALPN h2 and http/1.1, or http/1.1 only), forwards
// every request to the plain fake and streams the answer back chunk by chunk with its status and
// headers. A client that leaves mid-answer (stream reset, connection closed) makes the front drop
// its upstream request, so the fake still sees `client_closed`.
//
//   node tls_front.js --upstream PORT --cert server.pem --key server.key [--port 0] [--h1-only]
//                     [--max-seconds 600]
// prints one line once listening: {"port": P, "stats_port": S, "pid": N}
// GET http://127.0.0.1:S/stats -> {connections, connections_closed, connections_open, alpn: {h2,
// "http/1.1"}, streams: {h2, "http/1.1"}, client_resets, log: [{protocol, alpn, method, path,
// conn, status, done}]}; POST /reset clears it.
'use strict';
const fs = require('fs');
const http = require('http');
const http2 = require('http2');

const args = {port: 0, maxSeconds: 600, h1Only: false};
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (a === '--upstream') args.upstream = Number(process.argv[++i]);
  else if (a === '--port') args.port = Number(process.argv[++i]);
  else if (a === '--cert') args.cert = process.argv[++i];
  else if (a === '--key') args.key = process.argv[++i];
  else if (a === '--h1-only') args.h1Only = true;
  else if (a === '--max-seconds') args.maxSeconds = Number(process.argv[++i]);
  else { console.error('unknown argument ' + a); process.exit(2); }
}
if (!args.upstream || !args.cert || !args.key) {
  console.error('need --upstream, --cert and --key');
  process.exit(2);
}

function freshStats() {
  return {connections: 0, connections_closed: 0, connections_open: 0,
          alpn: {}, streams: {}, client_resets: 0, log: []};
}
let stats = freshStats();
let nextConn = 1;

const agent = new http.Agent({keepAlive: true, maxSockets: 64});
// Hop-by-hop and HTTP/2-forbidden headers never cross the front.
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection',
                     'http2-settings', 'te', 'host']);

function forward(req, res) {
  const conn = req.socket && req.socket._frontConn;
  const protocol = req.httpVersion === '2.0' ? 'h2' : 'http/1.1';
  stats.streams[protocol] = (stats.streams[protocol] || 0) + 1;
  const entry = {protocol, alpn: (req.socket && req.socket.alpnProtocol) || null,
                 method: req.method, path: req.url, conn, done: false, status: null};
  stats.log.push(entry);
  if (stats.log.length > 2000) stats.log.shift();
  const headers = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (k.startsWith(':') || HOP.has(k)) continue;
    headers[k] = v;
  }
  headers.host = '127.0.0.1:' + args.upstream;
  let finished = false;
  const up = http.request({host: '127.0.0.1', port: args.upstream, method: req.method,
                           path: req.url, headers, agent}, (ures) => {
    const out = {};
    for (const [k, v] of Object.entries(ures.headers))
      if (!HOP.has(k)) out[k] = v;
    res.writeHead(ures.statusCode, out);
    if (res.flushHeaders) res.flushHeaders();
    ures.on('data', (chunk) => {
      // One write per upstream chunk: HTTP/2 sends a DATA frame at once; backpressure pauses
      // the upstream read.
      if (!res.write(chunk)) {
        ures.pause();
        res.once('drain', () => ures.resume());
      }
    });
    entry.status = ures.statusCode;
    ures.on('end', () => { finished = true; entry.done = true; res.end(); });
    ures.on('error', () => res.destroy());
    ures.on('aborted', () => res.destroy());
  });
  up.on('error', () => { if (!res.headersSent) { res.writeHead(502); res.end(); } else res.destroy(); });
  res.on('close', () => {
    if (!finished) {
      stats.client_resets++;
      up.destroy(); // the fake sees the client leave
    }
  });
  req.pipe(up);
}

const tlsOpts = {cert: fs.readFileSync(args.cert), key: fs.readFileSync(args.key),
                 allowHTTP1: true, ALPNProtocols: args.h1Only ? ['http/1.1'] : ['h2', 'http/1.1']};
// HTTP/1.1 only: node's http2 server always offers h2, so use the https module instead.
const server = args.h1Only ? require('https').createServer(tlsOpts, forward)
                           : http2.createSecureServer(tlsOpts, forward);
server.on('secureConnection', (sock) => {
  sock._frontConn = nextConn++;
  stats.connections++;
  stats.connections_open++;
  const p = sock.alpnProtocol || 'none';
  stats.alpn[p] = (stats.alpn[p] || 0) + 1;
  sock.setNoDelay(true);
  sock.on('close', () => { stats.connections_closed++; stats.connections_open--; });
});
if (!args.h1Only) server.on('session', (session) => {
  // An h2 request's req.socket is a proxy of the session socket; carry the connection id.
  const s = session.socket;
  session.on('stream', (stream) => { if (stream.session) stream.session.socket._frontConn = s._frontConn; });
});

const ctl = http.createServer((req, res) => {
  if (req.url.startsWith('/stats')) {
    res.writeHead(200, {'content-type': 'application/json'});
    res.end(JSON.stringify(stats));
  } else if (req.url.startsWith('/reset')) {
    const open = stats.connections_open;
    stats = freshStats();
    stats.connections_open = open;
    res.writeHead(200, {'content-type': 'application/json'});
    res.end('{}');
  } else {
    res.writeHead(404);
    res.end();
  }
});

server.listen(args.port, '127.0.0.1', () => {
  ctl.listen(0, '127.0.0.1', () => {
    process.stdout.write(JSON.stringify({port: server.address().port,
                                         stats_port: ctl.address().port, pid: process.pid}) + '\n');
  });
});

// Never outlive the test that started us.
const parent = process.ppid;
setInterval(() => {
  try { process.kill(parent, 0); } catch (e) { process.exit(0); }
}, 500).unref();
if (args.maxSeconds > 0) setTimeout(() => process.exit(0), args.maxSeconds * 1000).unref();
process.stdin.on('end', () => {});
