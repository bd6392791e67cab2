// Visit photos on the phone: shrunk to a size a cheap phone sends over a weak signal, hashed, kept in
// IndexedDB until the server has them (PUT /attachments/{id} with the SHA-256; a repeat changes nothing).
// The visit's op declares a photo by id and hash, and the server takes a photo only once its visit has
// declared it: one whose visit has not gone yet (a form still open, an op still queued) waits for the next sync.
//
// A photo row: {id, user_id, blob, sha256, bytes, mime, state: pending | uploaded | rejected, error, created_at}.

import { call, session } from './api.js';
import * as store from './store.js';
import { uuid4 } from './ui.js';

const MAX_SIDE = 1600; // px: enough to read a meter or a crack; ~200–400 KB as JPEG
const QUALITY = 0.82;
export const MAX_PHOTOS = 6; // per visit, on the form
const ORPHAN_HOURS = 24; // a photo taken on a form that was never saved

/** Whether this page can hash photos (SubtleCrypto needs HTTPS, or localhost). */
export const canAttach = () => Boolean(globalThis.crypto?.subtle) && 'createImageBitmap' in globalThis;

async function shrink(file) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    throw new Error('无法读取这张照片，请换一张（支持 JPEG、PNG、WebP）');
  }
  const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  // Redrawn, the photo also leaves its EXIF (GPS) behind on the phone; the server strips it again.
  return new Promise((resolve, reject) => {
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('照片处理失败'))), 'image/jpeg', QUALITY);
  });
}

async function sha256(blob) {
  const digest = await crypto.subtle.digest('SHA-256', await blob.arrayBuffer());
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Shrinks, hashes and keeps a photo on the phone; returns its row. */
export async function keepPhoto(file) {
  if (!canAttach()) throw new Error('当前连接不是 HTTPS，不能附加照片');
  const blob = await shrink(file);
  const row = {
    id: uuid4(), user_id: session.user?.id ?? null, blob, sha256: await sha256(blob), bytes: blob.size,
    mime: 'image/jpeg', state: 'pending', error: null, created_at: new Date().toISOString(),
  };
  await store.put('photos', row);
  return row;
}

/** What the visit's op declares of a photo. */
export const declared = (row) => ({ attachment_id: row.id, sha256: row.sha256, bytes: row.bytes, mime: row.mime });

export const forget = (id) => store.remove('photos', id);

/** Sends this worker's photos the server does not have yet; stops at the first network failure. */
export async function uploadPending() {
  const mine = (await store.all('photos')).filter((p) => p.user_id === session.user?.id && p.state === 'pending');
  for (const photo of mine) {
    let done;
    try {
      await call('PUT', `/attachments/${photo.id}`, photo.blob, { 'X-Content-SHA256': photo.sha256 });
      done = { ...photo, blob: null, state: 'uploaded', error: null }; // the server has it: free the phone
    } catch (err) {
      // No network, signed out, today's quota spent (429) or a server fault: try again on a later sync.
      if (err.status === 0 || err.status === 401 || err.status === 429 || err.status >= 500) throw err;
      if (err.code === 'attachment_not_declared') continue; // its visit has not reached the server yet
      done = { ...photo, state: 'rejected', error: { code: err.code, message: err.message } };
    }
    await store.put('photos', done);
  }
}

/** Drops receipts and images no visit refers to (a form left unsaved), once they are a day old. */
export async function pruneOrphans(outboxRows) {
  const used = new Set(outboxRows.flatMap((r) => (r.op.attachments || []).map((a) => a.attachment_id)));
  const cutoff = new Date(Date.now() - ORPHAN_HOURS * 3_600_000).toISOString();
  const orphans = (await store.all('photos')).filter((p) => !used.has(p.id) && p.created_at < cutoff);
  if (orphans.length) await store.putMany('photos', [], orphans.map((p) => p.id));
}
