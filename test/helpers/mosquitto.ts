import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createServer, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A real mosquitto on loopback for fleet tests: a test CA made by openssl now, a broker certificate for
 * 127.0.0.1, a client certificate per requested user, a password file written by mosquitto_passwd and an
 * ACL that confines each booth to its own topics. Two TLS listeners: password (`port`) and client
 * certificate (`certPort`, the certificate's CN is the username). No persistence: a restart forgets
 * everything, as a broker that lost its disk would.
 */
export const mosquittoPath = '/usr/sbin/mosquitto';
export const mosquittoAvailable = existsSync(mosquittoPath) && existsSync('/usr/bin/mosquitto_passwd');

export interface Broker {
  dir: string;
  port: number;
  certPort: number;
  url: string;
  certUrl: string;
  caFile: string;
  /** Password file for each user (the booth's settings point at it). */
  passwordFile(user: string): string;
  certFile(user: string): string;
  keyFile(user: string): string;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** SIGKILL and start again (no persistence: nothing survives). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function makeCertificate(dir: string, name: string, cn: string, ext: string | undefined): void {
  openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`], dir);
  const args = ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2'];
  if (ext) {
    writeFileSync(join(dir, `${name}.ext`), ext);
    args.push('-extfile', `${name}.ext`);
  }
  openssl(args, dir);
}

const running = (c: ChildProcess | undefined): boolean => c !== undefined && c.exitCode === null && c.signalCode === null;

async function waitForPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (!running(child)) throw new Error(`mosquitto exited (${child.exitCode ?? child.signalCode}): ${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = tcpConnect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`mosquitto did not listen on ${port}: ${log()}`);
}

export async function startBroker(options: { users: Record<string, string>; prefix?: string }): Promise<Broker> {
  const prefix = options.prefix ?? 'gradebooth/v1';
  const dir = mkdtempSync(join(tmpdir(), 'gb-mosquitto-'));
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=gradebooth test CA'], dir);
  makeCertificate(dir, 'server', '127.0.0.1', 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  const passwd = join(dir, 'passwd');
  writeFileSync(passwd, '');
  for (const [user, password] of Object.entries(options.users)) {
    execFileSync('/usr/bin/mosquitto_passwd', ['-b', passwd, user, password]);
    writeFileSync(join(dir, `${user}.password`), `${password}\n`);
    makeCertificate(dir, `client-${user}`, user, undefined);
  }
  // Booths write only below their own root (and answers to the fleet's response topics); the fleet user reads
  // and writes everything, including shared subscriptions.
  writeFileSync(
    join(dir, 'acl'),
    [
      // (plain `topic` lines before any `user` apply only to anonymous clients; patterns apply to everyone)
      `pattern write ${prefix}/_fleet/responses/#`,
      `pattern readwrite ${prefix}/%u/#`,
      `pattern read ${prefix}/_all/#`,
      'user fleet',
      'topic readwrite #',
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const certPort = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    [
      'per_listener_settings true',
      // As root mosquitto would drop to the "mosquitto" user, which cannot read this test's 0700 folder.
      ...(process.getuid?.() === 0 ? ['user root'] : []),
      'persistence false',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      `listener ${port} 127.0.0.1`,
      `cafile ${join(dir, 'ca.crt')}`,
      `certfile ${join(dir, 'server.crt')}`,
      `keyfile ${join(dir, 'server.key')}`,
      'allow_anonymous false',
      `password_file ${passwd}`,
      `acl_file ${join(dir, 'acl')}`,
      `listener ${certPort} 127.0.0.1`,
      `cafile ${join(dir, 'ca.crt')}`,
      `certfile ${join(dir, 'server.crt')}`,
      `keyfile ${join(dir, 'server.key')}`,
      'require_certificate true',
      'use_identity_as_username true',
      'allow_anonymous false',
      `acl_file ${join(dir, 'acl')}`,
      '',
    ].join('\n'),
  );
  let child: ChildProcess | undefined;
  let stderr = '';
  const broker: Broker = {
    dir,
    port,
    certPort,
    url: `mqtts://127.0.0.1:${port}`,
    certUrl: `mqtts://127.0.0.1:${certPort}`,
    caFile: join(dir, 'ca.crt'),
    passwordFile: (user) => join(dir, `${user}.password`),
    certFile: (user) => join(dir, `client-${user}.crt`),
    keyFile: (user) => join(dir, `client-${user}.key`),
    async start() {
      if (running(child)) return;
      stderr = '';
      const c = spawn(mosquittoPath, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
      c.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
      child = c;
      await waitForPort(port, c, () => stderr);
      await waitForPort(certPort, c, () => stderr);
    },
    async stop() {
      const c = child;
      if (!c || !running(c)) return;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      await exited;
    },
    async restart() {
      const c = child;
      if (c && running(c)) {
        const exited = new Promise((r) => c.once('exit', r));
        c.kill('SIGKILL');
        await exited;
      }
      await broker.start();
    },
    async close() {
      await broker.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await broker.start();
  return broker;
}
