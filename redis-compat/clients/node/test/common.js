'use strict';
// Shared helpers of the node client suites.
//
// Environment (set by run-clients.sh, or by hand):
//   HOLDFAST_HOST, HOLDFAST_PORT  server to use (default 127.0.0.1:6379)
//   HF_CLIENTS_STATE              state dir of a server started by server.sh; the
//                                 restart tests need it (they skip without it)
//   HF_CLIENTS_SERVER_SH          path of server.sh (default ../../server.sh)

const net = require('node:net');
const path = require('node:path');
const crypto = require('node:crypto');
const { execFile } = require('node:child_process');

const HOST = process.env.HOLDFAST_HOST || '127.0.0.1';
const PORT = Number(process.env.HOLDFAST_PORT || 6379);
const STATE = process.env.HF_CLIENTS_STATE || '';
const SERVER_SH = process.env.HF_CLIENTS_SERVER_SH ||
    path.join(__dirname, '..', '..', 'server.sh');
const RUN_ID = crypto.randomBytes(4).toString('hex');

function encode(args) {
    let out = `*${args.length}\r\n`;
    for (const a of args) {
        const b = Buffer.from(String(a));
        out += `$${b.length}\r\n${b.toString('latin1')}\r\n`;
    }
    return Buffer.from(out, 'latin1');
}

// Send one command on a throw-away socket; resolve to the server's
// "unknown command" error text, or null if the server knows the command.
function probeUnknown(...args) {
    return new Promise((resolve, reject) => {
        const sock = net.createConnection({ host: HOST, port: PORT });
        let buf = '';
        const timer = setTimeout(() => { sock.destroy(); reject(new Error('probe timed out')); }, 5000);
        sock.on('connect', () => sock.write(encode(args)));
        sock.on('data', (d) => {
            buf += d.toString('latin1');
            const nl = buf.indexOf('\r\n');
            if (nl < 0) return;
            clearTimeout(timer);
            sock.destroy();
            const line = buf.slice(0, nl);
            resolve(line.startsWith('-') && /unknown command/i.test(line) ? line.slice(1) : null);
        });
        sock.on('error', (e) => { clearTimeout(timer); reject(e); });
    });
}

// kill -TERM the server, start it again on the same dir and port; resolves
// once the new one answers PING with PONG.  Asynchronous, so that the
// clients under test see the connection drop while it happens.
function restartServer() {
    return new Promise((resolve, reject) => {
        execFile('bash', [SERVER_SH, 'restart', STATE], { timeout: 60000 }, (err, stdout, stderr) => {
            if (err) reject(new Error(`server.sh restart failed: ${err.message}\n${stderr}`));
            else resolve();
        });
    });
}

function serverPid(infoText) {
    const m = /process_id:(\d+)/.exec(infoText);
    return m ? Number(m[1]) : null;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

module.exports = {
    HOST, PORT, STATE, RUN_ID, probeUnknown, restartServer, serverPid, sleep,
};
