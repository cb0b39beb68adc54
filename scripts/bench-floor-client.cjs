#!/usr/bin/env node
// The least a Node client can do for the session scripts/bench.mjs measures: STARTTLS, the
// certificate verified against the CA file, AUTH PLAIN, MAIL, RCPT, DATA, QUIT, over net and tls
// alone, with no parsing beyond reply codes and no output. Its time is Node's floor for this
// session (Node's start, its TLS stack, the root store Node 20 parses for the first TLS context,
// the handshake), which no Node CLI can beat; the benchmark prints it beside mailcheck and swaks.
//
//   bench-floor-client.cjs <host> <port> <ca-file> <user> <password> <from> <to>
'use strict';
const { readFileSync } = require('node:fs');
const net = require('node:net');
const tls = require('node:tls');

const [host, port, caFile, user, password, from, to] = process.argv.slice(2);
let socket = net.connect(Number(port), host);
socket.setNoDelay(true);
let buffered = '';
let waiting;
const onData = (data) => {
  buffered += data;
  // A reply ends with a line "NNN text" (a space after the code), possibly after "NNN-" lines.
  if (!/(^|\n)\d{3} [^\n]*\n$/.test(buffered)) return;
  const reply = buffered;
  buffered = '';
  waiting(reply);
};
socket.on('data', onData);
const reply = () =>
  new Promise((resolve, reject) => {
    waiting = (text) => (/^[23]/.test(text) ? resolve(text) : reject(new Error(text.trim())));
  });
const command = (line) => {
  socket.write(`${line}\r\n`);
  return reply();
};

async function session() {
  await reply();
  await command(`EHLO [${host}]`);
  await command('STARTTLS');
  socket.off('data', onData);
  socket = tls.connect({ socket, servername: 'localhost', ca: readFileSync(caFile) });
  await new Promise((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
  // As mailcheck does (src/smtp/walk.ts): EHLO waits for the TLS 1.3 session ticket (at most
  // 5 ms), or Postfix's reply waits ~40 ms for a delayed ACK under Nagle's algorithm.
  await new Promise((resolve) => {
    const timer = setTimeout(resolve, 5);
    socket.once('session', () => {
      clearTimeout(timer);
      setImmediate(resolve);
    });
  });
  socket.on('data', onData);
  await command(`EHLO [${host}]`);
  await command(`AUTH PLAIN ${Buffer.from(`\0${user}\0${password}`).toString('base64')}`);
  await command(`MAIL FROM:<${from}>`);
  await command(`RCPT TO:<${to}>`);
  await command('DATA');
  await command(`From: <${from}>\r\nTo: <${to}>\r\nSubject: benchmark\r\n\r\nOne message.\r\n.`);
  await command('QUIT');
  socket.end();
}

session().catch((error) => {
  process.stderr.write(`${error.message}\n`);
  process.exitCode = 1;
});
