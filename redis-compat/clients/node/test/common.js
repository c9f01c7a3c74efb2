'use strict';
// Shared helpers of the node client suites.
//
// Environment (set by run-clients.sh, or by hand):
//   HOLDFAST_HOST, HOLDFAST_PORT  server to use (default 127.0.0.1:6379)
//   HF_CLIENTS_STATE              state dir of a server started by server.sh; the
//                                 restart tests need it (they skip without it)
//   HF_CLIENTS_SERVER_SH          path of server.sh (default ../../server.sh)

const path = require('node:path');
const crypto = require('node:crypto');
const { execFile } = require('node:child_process');

const HOST = process.env.HOLDFAST_HOST || '127.0.0.1';
const PORT = Number(process.env.HOLDFAST_PORT || 6379);
const STATE = process.env.HF_CLIENTS_STATE || '';
const SERVER_SH = process.env.HF_CLIENTS_SERVER_SH ||
    path.join(__dirname, '..', '..', 'server.sh');
const RUN_ID = crypto.randomBytes(4).toString('hex');

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

// Poll the (async) predicate every 10 ms until it is true; throw after
// timeoutMs, naming what was awaited.
async function waitFor(pred, what, timeoutMs = 10000) {
    const deadline = Date.now() + timeoutMs;
    while (!(await pred())) {
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
        await sleep(10);
    }
}

// How many connections in a CLIENT LIST text are named namePrefix... and
// blocked (flags=b): a producer pushes once its consumers wait.
function countBlocked(clientListText, namePrefix) {
    return clientListText.split('\n').filter((line) => {
        const name = /(?:^| )name=(\S*)/.exec(line);
        const flags = /(?:^| )flags=(\S*)/.exec(line);
        return name && flags && name[1].startsWith(namePrefix) && flags[1].includes('b');
    }).length;
}

module.exports = {
    HOST, PORT, STATE, RUN_ID, restartServer, serverPid, sleep, waitFor, countBlocked,
};
