import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createError } from './errors.ts';

/**
 * ed25519 signatures on model releases (docs/fleet.md, "Model rollout"). The fleet signs the release's exact
 * UTF-8 bytes (no canonical-JSON step that two implementations could disagree on); a booth verifies them
 * against the public keys in its settings (`fleet.model_keys`). Keys are PEM files: PKCS#8 private keys on the
 * fleet's signing host, SPKI public keys on the booths (`gradebooth fleet keygen`, or
 * `openssl genpkey -algorithm ed25519 -out k.pem && openssl pkey -in k.pem -pubout -out k.pub.pem`).
 */

/** A key's id: the first 16 hex digits of the sha256 of its raw 32-byte public key. */
export function keyIdOf(publicKey: KeyObject): string {
  const jwk = publicKey.export({ format: 'jwk' });
  if (jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') throw createError('GB_INTERNAL', 'not an ed25519 public key');
  return createHash('sha256').update(Buffer.from(jwk.x, 'base64url')).digest('hex').slice(0, 16);
}

function readPem(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw createError('GB_CONFIG_UNREADABLE', `${what} ${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

/** A trusted public key from a PEM file (SPKI, or a private key whose public half is taken). */
export function readPublicKey(path: string, what = '"fleet.model_keys"'): { keyId: string; key: KeyObject; path: string } {
  const pem = readPem(path, what);
  let key: KeyObject;
  try {
    key = pem.includes('PRIVATE KEY') ? createPublicKey(createPrivateKey(pem)) : createPublicKey(pem);
  } catch (err) {
    throw createError('GB_CONFIG_INVALID', `${what} ${path}: not a PEM public key (${(err as Error).message})`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw createError('GB_CONFIG_INVALID', `${what} ${path}: an ${key.asymmetricKeyType ?? 'unknown'} key; model releases are signed with ed25519`);
  return { keyId: keyIdOf(key), key, path };
}

/** The fleet's signing key from a PEM file (PKCS#8). */
export function readPrivateKey(path: string): { keyId: string; key: KeyObject } {
  const pem = readPem(path, '--key');
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (err) {
    throw createError('GB_USAGE', `--key ${path}: not a PEM private key (${(err as Error).message})`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw createError('GB_USAGE', `--key ${path}: an ${key.asymmetricKeyType ?? 'unknown'} key; model releases are signed with ed25519`);
  return { keyId: keyIdOf(createPublicKey(key)), key };
}

/** Every trusted key of a booth, by key id (a booth may trust a current and a next key during a key rotation). */
export function readModelKeys(paths: readonly string[]): Map<string, KeyObject> {
  const keys = new Map<string, KeyObject>();
  for (const p of paths) {
    const k = readPublicKey(p);
    keys.set(k.keyId, k.key);
  }
  return keys;
}

/** A new ed25519 key pair as PEM (private PKCS#8, public SPKI) and its key id. */
export function generateModelKeyPair(): { privatePem: string; publicPem: string; keyId: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privatePem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    keyId: keyIdOf(publicKey),
  };
}

/** Sign `body` (its exact UTF-8 bytes); the signature in base64. */
export function signBody(body: string, privateKey: KeyObject): string {
  return sign(null, Buffer.from(body, 'utf8'), privateKey).toString('base64');
}

/**
 * Check a signed body against the trusted keys. GB_MODEL_UNSIGNED without a signature, GB_MODEL_SIGNATURE when
 * the key is not trusted or the signature does not verify (a tampered body, or someone else's key).
 */
export function verifyBody(body: string, keyId: string | null, signature: string | null, trusted: ReadonlyMap<string, KeyObject>): void {
  if (signature === null || keyId === null || signature === '') throw createError('GB_MODEL_UNSIGNED', 'the model release carries no signature; a booth loads only releases signed by a key in "fleet.model_keys"');
  const key = trusted.get(keyId);
  if (!key) throw createError('GB_MODEL_SIGNATURE', `the model release is signed by key ${keyId}, which is not in "fleet.model_keys" (trusted: ${[...trusted.keys()].join(', ') || 'none'})`);
  let ok = false;
  try {
    ok = verify(null, Buffer.from(body, 'utf8'), key, Buffer.from(signature, 'base64'));
  } catch {
    ok = false;
  }
  if (!ok) throw createError('GB_MODEL_SIGNATURE', `the model release's ed25519 signature does not verify with key ${keyId}: the release was altered or signed by another key`);
}
