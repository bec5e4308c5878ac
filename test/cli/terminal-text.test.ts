import t from 'tap';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { escapeTerminal, printTable } from '../../src/cli/terminal-text.ts';
import { runCli } from './run-cli.ts';
import { openDatabase } from '../../src/storage/database.ts';
import { TokenRepository } from '../../src/storage/tokens.ts';

/** Anything a terminal would act on: C0/C1 controls, DEL, bidi controls, lone surrogates. */
const actionable = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\ud800-\udfff]/;

t.test('escapeTerminal shows controls, bidi overrides and lone surrogates as visible escapes', async (t) => {
  t.equal(escapeTerminal('plain Zoë 台北 👩‍🔧'), 'plain Zoë 台北 👩‍🔧', 'printable text and surrogate pairs are untouched');
  t.equal(escapeTerminal('a\nb\rc\td'), 'a\\nb\\rc\\td');
  t.equal(escapeTerminal('\u001b[2J\u0007'), '\\x1b[2J\\x07');
  t.equal(escapeTerminal('\u007f\u009b'), '\\x7f\\x9b');
  t.equal(escapeTerminal('abc\u202egpj'), 'abc\\u{202e}gpj');
  t.equal(escapeTerminal('x\ud800y\udc00'), 'x\\u{d800}y\\u{dc00}');
});

t.test('printTable escapes every cell and aligns columns on the escaped text', async (t) => {
  let out = '';
  const sink = new Writable({ write(chunk, _enc, cb) { out += String(chunk); cb(); } });
  printTable(sink, [['id', 'evil\nname', 'x'], ['2', 'ok', '\u001b[31mred']]);
  t.equal(out, 'id  evil\\nname  x\n2   ok          \\x1b[31mred\n');
});

t.test('token list prints names stored before validation existed escaped: one line per token, nothing a terminal acts on', async (t) => {
  const dataDir = t.testdir({});
  const db = openDatabase(join(dataDir, 'gradebooth.sqlite'));
  new TokenRepository(db).create('operator', 'kiosk');
  db.close();
  // An old gradebooth stored names unchecked: write them the way it did, straight into the table.
  const raw = new Database(join(dataDir, 'gradebooth.sqlite'));
  const insert = raw.prepare("INSERT INTO api_tokens (id, name, role, token_sha256, created_at) VALUES (?, ?, 'operator', ?, '2026-01-01T00:00:00.000Z')");
  insert.run('aaaaaaaaaaaa', 'evil\nbbbbbbbbbbbb  technician  forged', 'a'.repeat(64));
  insert.run('cccccccccccc', '\u001b[2J\u001b[31mroot\u202e', 'c'.repeat(64));
  raw.close();
  const r = await runCli(['token', 'list', '--data-dir', dataDir]);
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout.trim().split('\n').length, 3, 'three tokens, three lines: the newline did not forge a row');
  t.notMatch(r.stdout, actionable);
  t.match(r.stdout, 'evil\\nbbbbbbbbbbbb');
  t.match(r.stdout, '\\x1b[2J\\x1b[31mroot\\u{202e}');
});

t.test('token create refuses an unprintable name with GB_VALIDATION; error messages are escaped too', async (t) => {
  const dataDir = t.testdir({});
  const r = await runCli(['token', 'create', '--role', 'operator', '--name', 'evil\u001b[2Jname', '--data-dir', dataDir]);
  t.equal(r.code, 1);
  t.match(r.stderr, /GB_VALIDATION: token name must be 1 to 64 printable characters: it holds the unprintable character U\+001B/);
  const revoke = await runCli(['token', 'revoke', '\u001b[31mx\nforged', '--data-dir', dataDir]);
  t.equal(revoke.code, 1);
  t.notMatch(revoke.stderr, actionable, 'the quoted id is shown escaped');
  t.equal(revoke.stderr.trim().split('\n').length, 1);
});
