#!/usr/bin/env node
// Two-step reports against node-smpp (npm "smpp", independent of smishd's codec) as the SMSC. This
// script is the SMSC and the test driver: it starts smishd, delivers forwards, reads smishd's
// submit_sm replies as node-smpp decodes them, answers, restarts smishd in the middle of a
// conversation, and checks: conversations in Latvian, Russian and English end with the final
// thank-you; the daily cap; no reply to an alphanumeric source; a throttled submit_sm is retried.
//
// usage: node conversation.js --smishd BIN --config FILE [--max-seconds T]
// stdout: one JSON summary line. Exit: 0 every check held, 1 a check failed, 2 bad arguments.
'use strict';

const {spawn} = require('child_process');
const smpp = require('smpp');

const o = {smishd: '', config: '', maxSeconds: 90};
for (let i = 2; i < process.argv.length; i += 2) {
  const k = process.argv[i], v = process.argv[i + 1];
  if (k === '--smishd') o.smishd = v;
  else if (k === '--config') o.config = v;
  else if (k === '--max-seconds') o.maxSeconds = parseInt(v, 10);
  else { process.stderr.write(`conversation.js: unknown option ${k}\n`); process.exit(2); }
}
if (!o.smishd || !o.config) { process.stderr.write('conversation.js: --smishd and --config are required\n'); process.exit(2); }

const checks = [];
const replies = new Map();  // destination -> [text, ...] (parts joined by their UDH reference)
const partial = new Map();  // destination:ref -> {total, parts}
let submits = 0, throttled = 0, session = null, port = 0, smishd = null, onBind = null, waiter = null;

function check(name, ok, detail) {
  checks.push({name, ok: !!ok, detail});
  if (!ok) process.stderr.write(`FAIL ${name}: ${JSON.stringify(detail)}\n`);
}

function textOf(pdu) {
  const sm = pdu.short_message;
  const message = typeof sm === 'object' && !Buffer.isBuffer(sm) ? sm.message : sm;
  let concat = null;
  for (const ie of (sm && sm.udh) || []) if (ie[0] === 0x00 && ie[1] === 3) concat = {ref: ie[2], total: ie[3], seq: ie[4]};
  return {message: Buffer.isBuffer(message) ? message.toString('latin1') : String(message), concat};
}

function recordReply(pdu) {
  const dest = pdu.destination_addr;
  const {message, concat} = textOf(pdu);
  let whole = message;
  if (concat) {
    const key = `${dest}:${concat.ref}`;
    const p = partial.get(key) || {total: concat.total, parts: {}};
    p.parts[concat.seq] = message;
    partial.set(key, p);
    if (Object.keys(p.parts).length < p.total) return;
    partial.delete(key);
    whole = Object.keys(p.parts).sort((a, b) => a - b).map((k) => p.parts[k]).join('');
  }
  if (!replies.has(dest)) replies.set(dest, []);
  replies.get(dest).push(whole);
  if (waiter) waiter();
}

const server = smpp.createServer((s) => {
  s.on('error', () => {});
  s.on('bind_transceiver', (pdu) => {
    session = s;
    s.send(pdu.response({system_id: 'node-smsc'}));
    if (onBind) { const f = onBind; onBind = null; f(); }
  });
  s.on('enquire_link', (pdu) => s.send(pdu.response()));
  s.on('unbind', (pdu) => { s.send(pdu.response()); s.close(); });
  s.on('submit_sm', (pdu) => {
    ++submits;
    if (submits === 1) {  // the first reply meets a busy SMSC: smishd must back off and retry it
      ++throttled;
      s.send(pdu.response({command_status: smpp.ESME_RTHROTTLED}));
      return;
    }
    s.send(pdu.response({message_id: `n${submits}`}));
    recordReply(pdu);
  });
  s.on('close', () => { if (session === s) session = null; });
});

function startSmishd() {
  smishd = spawn(o.smishd, ['--config', o.config, '--set', `smsc.port=${port}`, '--set', 'smsc.throttle_backoff_ms=100'],
                 {stdio: ['ignore', 'ignore', 'inherit']});
  return new Promise((resolve) => { onBind = resolve; });
}

function stopSmishd() {
  return new Promise((resolve) => {
    smishd.once('exit', (code) => resolve(code));
    smishd.kill('SIGTERM');
  });
}

let seq = 0;
function deliver(src, text, ton = 1) {
  // UCS2 (data_coding 8) for every forward: node-smpp takes the octets as they are.
  const octets = Buffer.from(text, 'utf16le').swap16();
  const pdu = new smpp.PDU('deliver_sm', {
    source_addr_ton: ton, source_addr_npi: ton === 5 ? 0 : 1, source_addr: src,
    dest_addr_ton: 0, dest_addr_npi: 1, destination_addr: '12250', data_coding: 8, short_message: octets,
  });
  return new Promise((resolve) => session.send(pdu, (resp) => resolve(resp.command_status)));
}

function repliesTo(dest, n, ms = 8000) {
  return new Promise((resolve) => {
    const done = () => { if ((replies.get(dest) || []).length >= n) { waiter = null; clearTimeout(t); resolve(replies.get(dest)); } };
    const t = setTimeout(() => { waiter = null; resolve(replies.get(dest) || []); }, ms);
    waiter = done;
    done();
  });
}
const pause = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  port = server.address().port;
  await startSmishd();

  const convs = [
    {src: '37120000601', forward: 'Jūsu paka aizkavēta. Samaksājiet 1,99 EUR: latvijas-pasts-lv.top/pay',
     answer: '+371 29999977', ask: 'Paldies! No kura numura', done: 'Paldies, sūtītājs'},
    {src: '79000000601', forward: 'Ваш аккаунт Госуслуг заблокирован. Подтвердите данные: gosuslugi-verify.top',
     answer: 'Звонок +7 900 000-99-77', ask: 'Спасибо! С какого номера', done: 'Спасибо, отправитель'},
    {src: '447400900601', forward: 'Your bank account is suspended. Verify now at bank-secure-check.top/login',
     answer: 'ALERT-BANK', ask: 'Thank you. Which number', done: 'Thank you, the sender'},
  ];
  for (const c of convs) {
    check(`forward from ${c.src} acknowledged`, (await deliver(c.src, c.forward)) === 0);
    const r = await repliesTo(c.src, 1);
    check(`${c.src} is asked for the sender`, r.length === 1 && r[0].startsWith(c.ask), r);
  }
  for (const c of convs.slice(0, 2)) {
    await deliver(c.src, c.answer);
    const r = await repliesTo(c.src, 2);
    check(`${c.src} gets the final thank-you`, r.length === 2 && r[1].startsWith(c.done), r);
  }
  // A restart in the middle of the English conversation: its state is on disk.
  check('smishd stops cleanly', (await stopSmishd()) === 0);
  await startSmishd();
  const en = convs[2];
  await deliver(en.src, en.answer);
  const r = await repliesTo(en.src, 2);
  check('the conversation survives a restart', r.length === 2 && r[1].startsWith(en.done), r);

  await deliver('SHOPINFO', 'Sale -50% today only, call +371 29999970', 5);
  for (let i = 0; i < 5; ++i) await deliver('37120000602', `Laimējāt iPhone! Zvaniet +371 2999998${i}`);
  const capped = await repliesTo('37120000602', 3);
  await pause(1500);  // anything beyond the cap would arrive now
  check('at most 3 replies a day to one reporter', (replies.get('37120000602') || []).length === 3, capped);
  check('no reply to an alphanumeric source', !replies.has('SHOPINFO'), [...replies.keys()]);
  check('a throttled submit_sm was retried', throttled === 1 && submits >= 11, {throttled, submits});

  check('smishd stops cleanly at the end', (await stopSmishd()) === 0);
  const ok = checks.every((c) => c.ok);
  process.stdout.write(JSON.stringify({event: 'summary', ok, checks: checks.length, submits, throttled,
                                       failed: checks.filter((c) => !c.ok).map((c) => c.name)}) + '\n',
                       () => process.exit(ok ? 0 : 1));
}

setTimeout(() => { process.stderr.write('conversation.js: --max-seconds passed\n'); if (smishd) smishd.kill('SIGKILL'); process.exit(1); },
           o.maxSeconds * 1000).unref();
main().catch((e) => { process.stderr.write(`conversation.js: ${e.stack}\n`); if (smishd) smishd.kill('SIGKILL'); process.exit(1); });
