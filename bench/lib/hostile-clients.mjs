// The hostile clients of bench/hostile.sh, on raw sockets.
//   node hostile-clients.mjs slow-readers PORT TOKEN TARGET COUNT PIPELINED
//     COUNT connections that each send PIPELINED requests for TARGET (as XML) at once and never read; prints
//     `ready` once all are sent, holds them until SIGTERM.
//   node hostile-clients.mjs flood PORT TOKEN TARGET SLOW IDLE
//     SLOW connections that send a request's header one byte every 5 s, and IDLE connections that are answered one
//     request and then sit idle; each is reopened as soon as the server closes it. Prints `ready` once all are open,
//     and on SIGTERM one JSON line: how many were opened, refused (a connect error, a reset before any
//     answer, or the 503 of the connection cap), and closed by the server, for each kind.
import net from 'node:net';

const [mode, portText, token, target, ...rest] = process.argv.slice(2);
const port = Number(portText);
if (!['slow-readers', 'flood'].includes(mode) || !port || !token || !target) {
  console.error('usage: hostile-clients.mjs slow-readers PORT TOKEN TARGET COUNT PIPELINED | flood PORT TOKEN TARGET SLOW IDLE');
  process.exit(2);
}

const requestText = (accept) =>
  `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nAccept: ${accept}\r\n\r\n`;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const open = () => new Promise((resolve) => {
  const socket = net.connect(port, '127.0.0.1');
  socket.once('connect', () => resolve(socket));
  socket.once('error', (error) => resolve({ error }));
});

// Resolves on SIGTERM or SIGINT. The interval keeps the process alive meanwhile: paused sockets do not.
setInterval(() => {}, 1 << 30);
const stopRequested = new Promise((resolve) => {
  process.on('SIGTERM', resolve);
  process.on('SIGINT', resolve);
});

async function slowReaders(count, pipelined) {
  const bytes = Buffer.from(requestText('application/xml').repeat(pipelined), 'latin1');
  const sockets = [];
  for (let i = 0; i < count; i++) {
    const socket = await open();
    if (socket.error) throw socket.error;
    socket.pause(); // Node reads one buffer's worth, then nothing more
    socket.on('error', () => {});
    socket.write(bytes);
    sockets.push(socket);
  }
  console.log('ready');
  await stopRequested;
  for (const socket of sockets) socket.destroy();
}

async function flood(slowCount, idleCount) {
  const stats = {
    slow: { opened: 0, refused: 0, closedByServer: 0 },
    idle: { opened: 0, refused: 0, closedByServer: 0 },
  };
  let stopping = false;
  const live = new Set();
  const header = Buffer.from(requestText('application/json'), 'latin1');

  // One connection of `kind` for as long as the run lasts: opened, driven, reopened when the server closes it.
  async function keep(kind) {
    while (!stopping) {
      const socket = await open();
      if (socket.error) {
        stats[kind].refused += 1;
        await sleep(100);
        continue;
      }
      stats[kind].opened += 1;
      live.add(socket);
      let received = '';
      const closed = new Promise((resolve) => {
        socket.on('data', (d) => (received += d.toString('latin1')));
        socket.on('error', () => {});
        socket.on('close', resolve);
      });
      if (kind === 'idle') {
        socket.write(header);
      } else {
        (async () => {
          for (let i = 0; i < header.length && !socket.destroyed && !stopping; i++) {
            socket.write(header.subarray(i, i + 1));
            await sleep(5000);
          }
        })();
      }
      await closed;
      live.delete(socket);
      if (stopping) return;
      if (received.startsWith('HTTP/1.1 503') || (kind === 'idle' && received === '')) stats[kind].refused += 1;
      else stats[kind].closedByServer += 1;
    }
  }

  const runs = [];
  // Opened a few at a time so that the listen backlog is not what refuses them.
  for (let i = 0; i < slowCount + idleCount; i++) {
    runs.push(keep(i < slowCount ? 'slow' : 'idle'));
    if (i % 50 === 49) await sleep(20);
  }
  while (live.size < slowCount + idleCount) await sleep(50);
  console.log('ready');
  await stopRequested;
  stopping = true;
  for (const socket of live) socket.destroy();
  await Promise.all(runs);
  console.log(JSON.stringify(stats));
}

if (mode === 'slow-readers') await slowReaders(Number(rest[0]), Number(rest[1]));
else await flood(Number(rest[0]), Number(rest[1]));
process.exit(0);
