#!/usr/bin/env node
// An SMSC built on node-smpp (npm "smpp", an SMPP 3.4 implementation independent of smishd's
// codec and of libsmpp34) for the interoperability test. It listens on 127.0.0.1 (port 0: any free
// port), accepts smishd's bind_transceiver with the configured system_id and password, and
// delivers one forwarded message for every coding x split combination:
//   gsm7 (GSM 03.38 default alphabet, unpacked, data_coding 0), latin1 (data_coding 3),
//   ucs2 (UTF-16BE, data_coding 8)  x  none, udh8, udh16, sar, payload
// plus two messages split blindly by octets (a GSM escape pair and a UTF-16 surrogate pair cut
// between two parts). The octets are encoded here in JS, the PDUs are built by node-smpp's own
// PDU class (short_message / message_payload given as Buffers, TLVs by name). Parts of different
// messages are interleaved. It waits for every deliver_sm_resp: a temporary status
// (0x64, 0x14, 0x58, 0x08) or a dropped link means redelivery, anything else but ESME_ROK fails.
//
// stdout: {"event":"listening","port":N} first, a JSON summary last. Exit: 0 every PDU got
// ESME_ROK; 1 some failed; 2 bad arguments; 3 --max-seconds passed.
//
// usage: node smsc.js [--system-id ID] [--password PW] [--port-file F] [--messages-file F]
//                     [--summary-file F] [--window N] [--max-seconds T]
'use strict';

const fs = require('fs');
const smpp = require('smpp');

// ---------------------------------------------------------------------------------------------
// Arguments

function parseArgs(argv) {
  const o = {systemId: 'smishd', password: 'secret', portFile: '', messagesFile: '', summaryFile: '',
             window: 10, maxSeconds: 60};
  for (let i = 2; i < argv.length; ++i) {
    const a = argv[i];
    const v = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--system-id') o.systemId = v();
    else if (a === '--password') o.password = v();
    else if (a === '--port-file') o.portFile = v();
    else if (a === '--messages-file') o.messagesFile = v();
    else if (a === '--summary-file') o.summaryFile = v();
    else if (a === '--window') o.window = Math.max(1, parseInt(v(), 10));
    else if (a === '--max-seconds') o.maxSeconds = parseInt(v(), 10);
    else throw new Error(`unknown option ${a}`);
  }
  return o;
}

// ---------------------------------------------------------------------------------------------
// Encoders (written here from the specifications, not taken from node-smpp)

// 3GPP TS 23.038 §6.2.1 default alphabet, by septet value (0x1B is the escape, never a character).
const GSM_DEFAULT = [
  '@', '£', '$', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', '\n', 'Ø', 'ø', '\r', 'Å', 'å',
  'Δ', '_', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ', null, 'Æ', 'æ', 'ß', 'É',
  ' ', '!', '"', '#', '¤', '%', '&', "'", '(', ')', '*', '+', ',', '-', '.', '/',
  '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?',
  '¡', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O',
  'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 'Ä', 'Ö', 'Ñ', 'Ü', '§',
  '¿', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
  'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'ä', 'ö', 'ñ', 'ü', 'à',
];
// TS 23.038 §6.2.1.1 extension table: 0x1B followed by the code.
const GSM_EXTENSION = {'\f': 0x0A, '^': 0x14, '{': 0x28, '}': 0x29, '\\': 0x2F, '[': 0x3C, '~': 0x3D,
                       ']': 0x3E, '|': 0x40, '€': 0x65};
const GSM_CODE = new Map(GSM_DEFAULT.map((ch, code) => [ch, code]).filter(([ch]) => ch !== null));

/// Unpacked GSM 7-bit: one septet per octet, extension characters as escape pairs.
function encodeGsm7(text) {
  const out = [];
  for (const ch of text) {
    if (GSM_CODE.has(ch)) out.push(GSM_CODE.get(ch));
    else if (ch in GSM_EXTENSION) out.push(0x1B, GSM_EXTENSION[ch]);
    else throw new Error(`not in the GSM 03.38 alphabet: ${JSON.stringify(ch)}`);
  }
  return Buffer.from(out);
}

function encodeLatin1(text) {
  const out = [];
  for (const ch of text) {
    const cp = ch.codePointAt(0);
    if (cp > 0xFF) throw new Error(`not in Latin-1: ${JSON.stringify(ch)}`);
    out.push(cp);
  }
  return Buffer.from(out);
}

/// UTF-16BE: JS strings are UTF-16 already, so surrogate pairs come out as two units.
function encodeUcs2(text) {
  const out = Buffer.alloc(text.length * 2);
  for (let i = 0; i < text.length; ++i) out.writeUInt16BE(text.charCodeAt(i), 2 * i);
  return out;
}

const CODINGS = {
  gsm7: {dataCoding: 0x00, encode: encodeGsm7, unit: 1, single: 160, perPart: {udh8: 153, udh16: 152, sar: 160}},
  latin1: {dataCoding: 0x03, encode: encodeLatin1, unit: 1, single: 140, perPart: {udh8: 134, udh16: 133, sar: 140}},
  ucs2: {dataCoding: 0x08, encode: encodeUcs2, unit: 2, single: 70, perPart: {udh8: 67, udh16: 66, sar: 70}},
};

/// Octets of the indivisible character at `pos`: a GSM escape pair, a UTF-16 surrogate pair.
function charOctets(coding, buf, pos) {
  if (coding === 'gsm7') return buf[pos] === 0x1B && pos + 1 < buf.length ? 2 : 1;
  if (coding === 'ucs2') {
    const hi = buf.readUInt16BE(pos);
    if (hi >= 0xD800 && hi <= 0xDBFF && pos + 3 < buf.length) return 4;
    return 2;
  }
  return 1;
}

/// Cuts `buf` into parts of at most `units` units; `blind` cuts by octets only.
function split(coding, buf, units, blind) {
  const max = units * CODINGS[coding].unit;
  const parts = [];
  for (let start = 0; start < buf.length;) {
    let end = Math.min(start + max, buf.length);
    if (!blind) {
      end = start;
      while (end < buf.length && end + charOctets(coding, buf, end) - start <= max) end += charOctets(coding, buf, end);
    }
    parts.push(buf.subarray(start, end));
    start = end;
  }
  return parts;
}

// ---------------------------------------------------------------------------------------------
// The messages

const LONG = {
  gsm7: 'Tele2: your account is BLOCKED. To keep your number pay the 1,99€ fee at tele2-lv.top/pay ' +
        '[ref {A7}] within 24h ~ support | help^ \\ Reply STOP. @£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ!"#¤%&\'()*+,-./:;<=>?' +
        '¡ÄÖÑÜ§¿äöñüà. Your parcel DPD-2291 is held at the depot, confirm delivery at dpd-lv.top/track?id=2291 ' +
        'or call +37129999901 before 18:00. Cost 2,50€. {end}',
  latin1: 'Grüße aus München! Ihr Konto bei der Sparkasse wurde gesperrt. Bitte bestätigen Sie Ihre Daten ' +
          'unter sparkasse-sicher.de/login « innerhalb 24 Std. » Gebühr £5 oder ¥900, 50% Rabatt ± 2°. ' +
          'Café, naïve, façade, señor, ¿qué?, ¡olé! © ® µ ½ ¼ ¾ Ø ß Æ å Ç Ë Ì Í Î Ï Ð Ñ Ò Ó Ô Õ Ö × Ù Ú Û Ü Ý Þ ÿ.',
  ucs2: 'Tele2: Jūsu konts ir bloķēts! Apmaksājiet 1,99 € šeit: tele2-lv.top/pay 🔒 ' +
        'Ваш аккаунт заблокирован, оплатите по ссылке 🎁 Teie pakk ootab: omniva-ee.top 📦 ' +
        'Jūsų siunta laukia: dpd-lt.top/s?id=77 ✅ Smart-ID kood 4821 — ära jaga! 中文 テスト 🇱🇻',
};
const SHORT = {
  gsm7: 'Your parcel is held: pay 1,99€ at dpd-lv.top/pay [{x}] ^~|\\ @£$¥ ΔΦΓΛΩΠΨΣΘΞ ÆæßÉ ÄÖÑÜ§¿äöñüà',
  latin1: 'Ihr Paket wartet: dhl-de.top/p?id=12 - Gebühr £1,99 Grüße, ¿señor? ±½ ©®µ ÿ',
  ucs2: 'Jūsu paka gaida: omniva-lv.top 📦 Ваша посылка ждёт 🎁',
};

function buildMessages() {
  const msgs = [];
  let n = 0;
  for (const coding of ['gsm7', 'latin1', 'ucs2']) {
    for (const mode of ['none', 'udh8', 'udh16', 'sar', 'payload']) {
      const base = mode === 'none' ? SHORT[coding] : LONG[coding];
      msgs.push({n: n++, coding, split: mode, blind: false, text: `[${coding}/${mode}] ${base}`});
    }
  }
  // Blind splits that cut a character between two parts: the receiver must join octets first.
  // udh8 GSM 7-bit parts are 153 octets: put an escape pair at octets 152-153.
  const gsmHead = '[gsm7/udh8/blind] ';
  msgs.push({n: n++, coding: 'gsm7', split: 'udh8', blind: true,
             text: gsmHead + 'x'.repeat(152 - gsmHead.length) + '€ straddles the first two parts ' + LONG.gsm7});
  // udh8 UCS2 parts are 67 units: put a surrogate pair at units 66-67.
  const ucsHead = '[ucs2/udh8/blind] ';
  msgs.push({n: n++, coding: 'ucs2', split: 'udh8', blind: true,
             text: ucsHead + 'ž'.repeat(66 - ucsHead.length) + '🎁 straddles the first two parts ' + LONG.ucs2});

  for (const m of msgs) {
    const c = CODINGS[m.coding];
    const octets = c.encode(m.text);
    m.src = String(37120000100 + m.n);
    const ref = 0x1100 + m.n;  // unique per message; udh8 uses the low 8 bits
    let chunks;
    if (m.split === 'none') {
      if (octets.length > c.single * c.unit) throw new Error(`${m.coding}/none text does not fit one SMS`);
      chunks = [octets];
    } else if (m.split === 'payload') {
      chunks = [octets];
    } else {
      chunks = split(m.coding, octets, c.perPart[m.split], m.blind);
      if (chunks.length < 2) throw new Error(`${m.coding}/${m.split} text fits one SMS: make it longer`);
    }
    m.parts = chunks.map((chunk, i) => {
      const opts = {
        service_type: '',
        source_addr_ton: 1, source_addr_npi: 1, source_addr: m.src,
        dest_addr_ton: 0, dest_addr_npi: 1, destination_addr: '12250',
        esm_class: 0, protocol_id: 0, priority_flag: 0,
        schedule_delivery_time: '', validity_period: '',
        registered_delivery: 0, replace_if_present_flag: 0,
        data_coding: c.dataCoding, sm_default_msg_id: 0,
        short_message: Buffer.alloc(0),
      };
      const total = chunks.length;
      const seq = i + 1;
      if (m.split === 'none') {
        opts.short_message = chunk;
      } else if (m.split === 'payload') {
        opts.message_payload = chunk;  // SMPP 3.4 §5.3.2.32; sm_length 0
      } else if (m.split === 'udh8') {
        opts.esm_class = 0x40;  // UDHI
        opts.short_message = Buffer.concat([Buffer.from([5, 0x00, 3, ref & 0xFF, total, seq]), chunk]);
      } else if (m.split === 'udh16') {
        opts.esm_class = 0x40;
        opts.short_message = Buffer.concat([Buffer.from([6, 0x08, 4, ref >> 8, ref & 0xFF, total, seq]), chunk]);
      } else {  // sar: SMPP 3.4 §5.3.2.22-24
        opts.short_message = chunk;
        opts.sar_msg_ref_num = ref;
        opts.sar_total_segments = total;
        opts.sar_segment_seqnum = seq;
      }
      return {message: m.n, seq, opts, status: null, attempts: 0};
    });
  }
  return msgs;
}

// ---------------------------------------------------------------------------------------------
// The SMSC

const TEMPORARY = new Set([0x64, 0x14, 0x58, 0x08]);
const MAX_ATTEMPTS = 10;

function main() {
  let o;
  try {
    o = parseArgs(process.argv);
  } catch (e) {
    process.stderr.write(`smsc.js: ${e.message}\n`);
    process.exit(2);
  }
  const messages = buildMessages();
  // Interleaved: part 1 of every message, then part 2 of every message, ...
  const queue = [];
  const maxParts = Math.max(...messages.map((m) => m.parts.length));
  for (let p = 0; p < maxParts; ++p) for (const m of messages) if (p < m.parts.length) queue.push(m.parts[p]);
  const allParts = queue.slice();

  if (o.messagesFile) {
    fs.writeFileSync(o.messagesFile, messages.map((m) => JSON.stringify(
        {n: m.n, coding: m.coding, split: m.split, blind: m.blind, src: m.src, parts: m.parts.length,
         text: m.text})).join('\n') + '\n');
  }

  const stats = {binds: 0, bind_refused: 0, deliver_sm_sent: 0, redeliveries: 0, acknowledged: {},
                 generic_nack_received: 0, enquire_link_answered: 0, unbind_resp: false, errors: []};
  const inFlight = new Map();  // sequence_number -> part
  let session = null;
  let finished = false;

  const server = smpp.createServer((s) => {
    s.on('error', (e) => stats.errors.push(`session: ${e.message}`));
    s.on('bind_transceiver', (pdu) => {
      if (session !== null || pdu.system_id !== o.systemId || pdu.password !== o.password) {
        ++stats.bind_refused;
        s.send(pdu.response({command_status: session !== null ? smpp.ESME_RALYBND : smpp.ESME_RINVPASWD}));
        s.close();
        return;
      }
      ++stats.binds;
      session = s;
      s.send(pdu.response({system_id: 'node-smsc'}));
      pump();
    });
    s.on('enquire_link', (pdu) => {
      ++stats.enquire_link_answered;
      s.send(pdu.response());
    });
    s.on('unbind', (pdu) => {
      s.send(pdu.response());
      s.close();
    });
    s.on('generic_nack', (pdu) => {
      ++stats.generic_nack_received;
      stats.errors.push(`generic_nack status 0x${pdu.command_status.toString(16)} seq ${pdu.sequence_number}`);
      const part = inFlight.get(pdu.sequence_number);
      if (part) onStatus(part, pdu.sequence_number, pdu.command_status);
    });
    s.on('close', () => {
      if (session !== s) return;
      session = null;
      // The link dropped: what is unanswered goes again first on the next bind.
      const again = [...inFlight.values()];
      inFlight.clear();
      stats.redeliveries += again.length;
      queue.unshift(...again);
    });
  });

  function onStatus(part, seqNo, status) {
    inFlight.delete(seqNo);
    const name = status === 0 ? 'ESME_ROK' : `0x${status.toString(16).padStart(8, '0')}`;
    if (status !== 0 && TEMPORARY.has(status) && part.attempts < MAX_ATTEMPTS) {
      ++stats.redeliveries;
      setTimeout(() => {
        queue.push(part);
        pump();
      }, 100);
      return;
    }
    part.status = status;
    stats.acknowledged[name] = (stats.acknowledged[name] || 0) + 1;
    pump();
  }

  function pump() {
    if (finished) return;
    while (session !== null && inFlight.size < o.window && queue.length > 0) {
      const part = queue.shift();
      ++part.attempts;
      ++stats.deliver_sm_sent;
      const pdu = new smpp.PDU('deliver_sm', Object.assign({}, part.opts));
      const s = session;
      const sent = s.send(pdu, (resp) => {
        if (s === session && inFlight.get(resp.sequence_number) === part) onStatus(part, resp.sequence_number, resp.command_status);
      });
      if (!sent) {  // the socket is closing: the part waits for the next bind
        queue.unshift(part);
        break;
      }
      inFlight.set(pdu.sequence_number, part);
    }
    if (allParts.every((p) => p.status !== null)) finish();
  }

  function summary(exitCode) {
    return {event: 'summary', exit_code: exitCode, messages: messages.length, pdus: allParts.length,
            combinations: messages.map((m) => `${m.coding}/${m.split}${m.blind ? '/blind' : ''}:${m.parts.length}`),
            ...stats};
  }

  function end(exitCode) {
    const line = JSON.stringify(summary(exitCode));
    if (o.summaryFile) {
      fs.writeFileSync(o.summaryFile + '.tmp', line + '\n');
      fs.renameSync(o.summaryFile + '.tmp', o.summaryFile);
    }
    process.stdout.write(line + '\n', () => process.exit(exitCode));
  }

  function finish() {
    if (finished) return;
    finished = true;
    const ok = allParts.every((p) => p.status === 0);
    const s = session;
    // Unbind like an SMSC going away politely; bounded wait for unbind_resp.
    const timer = setTimeout(() => end(ok ? 0 : 1), 2000);
    if (s === null) return;
    s.unbind((resp) => {
      stats.unbind_resp = resp.command_status === 0;
      clearTimeout(timer);
      s.close();
      server.close();
      end(ok ? 0 : 1);
    });
  }

  server.on('error', (e) => {
    process.stderr.write(`smsc.js: server: ${e.message}\n`);
    process.exit(2);
  });
  server.listen(0, '127.0.0.1', () => {
    const port = server.address().port;
    process.stdout.write(JSON.stringify({event: 'listening', port}) + '\n');
    if (o.portFile) {
      fs.writeFileSync(o.portFile + '.tmp', `${port}\n`);
      fs.renameSync(o.portFile + '.tmp', o.portFile);
    }
  });
  if (o.maxSeconds > 0) {
    setTimeout(() => {
      stats.errors.push(`--max-seconds ${o.maxSeconds} passed`);
      finished = true;
      end(3);
    }, o.maxSeconds * 1000).unref();
  }
  process.on('SIGTERM', () => {
    finished = true;
    end(allParts.every((p) => p.status === 0) ? 0 : 1);
  });
}

if (require.main === module) main();
module.exports = {encodeGsm7, encodeLatin1, encodeUcs2, split, buildMessages};
