// Grid work without signal: a visit is saved on the phone first (the outbox), then pushed when the network
// allows — resent as often as needed under its one op_id, so the server never records it twice. Pulls keep
// the worker's households on the phone; the due list and the categories are kept from the last time online.
//
// An outbox row: {op_id, user_id, op, state: pending | rejected | sent, error, queued_at, sent_at}. Nothing a
// worker entered is dropped: a refused op stays, with the server's reason, until it is corrected and resent.

import { call, session } from './api.js';
import * as photos from './photos.js';
import * as store from './store.js';
import { uuid4 } from './ui.js';

const BATCH = 50; // the server's limit per push (models/sync_schemas.MAX_OPS)
const SENT_KEPT_DAYS = 30; // a sent visit stays listed as 最近记录 for a month
export const SYNC_ROLES = new Set(['grid_member', 'grid_leader']);

const events = new EventTarget();
const status = { syncing: false, error: null };

/** Calls `fn` whenever the outbox or the sync status changes; stops once `el` has left the page. */
export function watch(el, fn) {
  const handler = () => (el.isConnected ? fn() : events.removeEventListener('change', handler));
  events.addEventListener('change', handler);
}

/** Calls `fn` on every change, for as long as the app runs (the header's badge). */
export function onChange(fn) {
  events.addEventListener('change', fn);
}

const changed = () => events.dispatchEvent(new Event('change'));
const me = () => session.user?.id ?? null;
export const canSync = () => session.loggedIn && SYNC_ROLES.has(session.user?.role);

/** This phone's id, made once and kept across logins (the server counts each device's pending ops). */
export function deviceId() {
  let id = localStorage.getItem('bd.device');
  if (!id) {
    id = uuid4();
    localStorage.setItem('bd.device', id);
  }
  return id;
}

/** The signed-in worker's outbox rows, oldest first (other accounts' rows on a shared phone are left alone). */
export async function mine() {
  const rows = await store.all('outbox');
  return rows.filter((r) => r.user_id === me()).sort((a, b) => a.queued_at.localeCompare(b.queued_at));
}

export const waiting = (rows) => rows.filter((r) => r.state !== 'sent');

/** How many of the signed-in worker's ops are still on the phone (waiting or refused); 0 for other roles. */
export async function waitingCount() {
  return canSync() ? waiting(await mine()).length : 0;
}

export function syncStatus() {
  return { ...status };
}

/** Saves a visit on the phone (durably, before anything is sent) and tries to send it. `replaces` is the op
 * id of a refused visit this one corrects: the corrected one takes its place in the same transaction.
 * `attachments` declares the visit's photos (kept by photos.js, sent after the visit). */
export async function saveVisit(visitId, fields, replaces = null, attachments = []) {
  const op = {
    op_id: uuid4(), entity: 'visit', action: 'create', entity_id: visitId, fields, attachments,
    client_created_at: new Date().toISOString(),
  };
  const row = {
    op_id: op.op_id, user_id: me(), op, state: 'pending', error: null, queued_at: op.client_created_at,
    sent_at: null,
  };
  await store.putMany('outbox', [row], replaces ? [replaces] : []);
  changed();
  syncNow();
  return row;
}

// One sync at a time, across tabs too; asked for during one, another follows it (a visit saved meanwhile).
let running = null;
let again = false;

/** Push the outbox, then pull households and refresh the due list. Never throws: the status says what failed. */
export function syncNow() {
  if (!canSync()) return Promise.resolve();
  if (running) again = true;
  else {
    status.syncing = true;
    changed();
    const work = () => syncOnce();
    running = (navigator.locks ? navigator.locks.request('bd-sync', work) : work())
      .then(() => { status.error = null; })
      .catch((err) => {
        status.error = err.status === 0 ? '没有网络：记录保存在本机，有网络后自动上传' : err.message;
      })
      .finally(() => {
        status.syncing = false;
        running = null;
        changed();
        if (again) {
          again = false;
          syncNow();
        }
      });
  }
  return running;
}

async function syncOnce() {
  await push();
  await learnCaseCodes();
  await photos.uploadPending();
  await pull();
  const [due, categories, ledgerTypes] = await Promise.all([
    call('GET', '/visits/due'), call('GET', '/categories'), call('GET', '/ledger-types'),
  ]);
  await store.setMeta(`due:${me()}`, { at: new Date().toISOString(), items: due });
  await store.setMeta('categories', categories.filter((c) => c.is_active !== false));
  await store.setMeta('ledger-types', ledgerTypes);
  await store.setMeta(`synced:${me()}`, new Date().toISOString());
  await prune();
}

async function push() {
  for (;;) {
    const pending = (await mine()).filter((r) => r.state === 'pending');
    if (!pending.length) return;
    const batch = pending.slice(0, BATCH);
    const res = await call('POST', '/sync/push', {
      device_id: deviceId(), ops: batch.map((r) => r.op), pending_count: pending.length,
    });
    const results = new Map(res.results.map((r) => [r.op_id, r]));
    const now = new Date().toISOString();
    const rows = batch.map((row) => settle(row, results.get(row.op_id), now));
    await store.putMany('outbox', rows);
    changed();
    if (rows.some((r) => r.state === 'pending')) return; // the server asked for a retry: next sync
  }
}

/** The row after the server's answer: sent (applied, or a repeat of one it has), refused, or still waiting. */
function settle(row, result, now) {
  if (!result || result.status === 'retry') return row;
  if (result.status === 'applied' || result.status === 'duplicate') {
    return { ...row, state: 'sent', error: null, sent_at: now };
  }
  return { ...row, state: 'rejected', error: result.error || { message: '服务器未接受这条记录' } };
}

/** Requests raised on a visit, by id (the phone made the ids; the server gave each its case code). */
export const raisedOn = (row) => (row.op.fields.items || []).map((item) => item.resident_request?.id).filter(Boolean);

/** Once a visit is sent, the case code of each request it raised is asked for and kept on its row, so the
 * worker can read it to the resident, offline too. A request the server will not show is not asked again. */
async function learnCaseCodes() {
  const unknown = (row) => raisedOn(row).some((id) => !(id in (row.case_codes || {})));
  const rows = (await mine()).filter((r) => r.state === 'sent' && unknown(r));
  for (const row of rows) {
    const codes = { ...(row.case_codes || {}) };
    for (const id of raisedOn(row).filter((x) => !(x in codes))) {
      try {
        codes[id] = (await call('GET', `/requests/${id}`)).case_code;
      } catch (err) {
        if (err.status !== 404 && err.status !== 403) continue; // offline or a server error: asked again next sync
        codes[id] = null;
      }
    }
    await store.putMany('outbox', [{ ...row, case_codes: codes }]);
  }
  if (rows.length) changed();
}

async function pull() {
  const owner = await store.getMeta('households-owner');
  if (owner !== me()) { // another account's grids: start this one's copy afresh
    await store.clear('households');
    await store.setMeta('pull-cursor', null);
    await store.setMeta('households-owner', me());
  }
  let cursor = await store.getMeta('pull-cursor');
  for (let pages = 0; pages < 200; pages += 1) {
    const qs = new URLSearchParams({ device_id: deviceId(), limit: '500' });
    if (cursor) qs.set('cursor', cursor);
    let page;
    try {
      page = await call('GET', `/sync/pull?${qs}`);
    } catch (err) {
      if (err.status !== 409 || cursor === null) throw err;
      await store.clear('households'); // resync_required: a full pull; the outbox is kept as it is
      cursor = null;
      continue;
    }
    const households = page.changes.filter((c) => c.entity === 'household').map((c) => c.data);
    await store.putMany('households', households.filter((x) => x.is_active),
      households.filter((x) => !x.is_active).map((x) => x.id));
    cursor = page.next_cursor;
    await store.setMeta('pull-cursor', cursor);
    if (!page.has_more) return;
  }
}

async function prune() {
  const cutoff = new Date(Date.now() - SENT_KEPT_DAYS * 86_400_000).toISOString();
  const rows = await store.all('outbox');
  const unsent = new Set((await store.all('photos')).filter((p) => p.state === 'pending').map((p) => p.id));
  const old = rows.filter((r) => r.state === 'sent' && r.sent_at < cutoff
    && !(r.op.attachments || []).some((a) => unsent.has(a.attachment_id))); // its photos still to go
  if (old.length) await store.putMany('outbox', [], old.map((r) => r.op_id));
  await photos.pruneOrphans(rows.filter((r) => !old.includes(r)));
}

/** At logout: the grid's households and due list leave the phone (the next login pulls them again); visits
 * not yet sent stay, under their author, until that account signs in again. */
export async function forgetGridData() {
  await store.clear('households');
  await store.putMany('meta', [], ['pull-cursor', 'households-owner', `due:${me()}`]);
}

/** Starts syncing when the app opens, when the network comes back, and every minute while visits wait. */
export function startAutoSync() {
  window.addEventListener('online', () => syncNow());
  setInterval(async () => {
    if (!canSync() || !navigator.onLine || running) return;
    if ((await mine()).some((r) => r.state === 'pending')) syncNow();
  }, 60_000);
  if (navigator.onLine) syncNow();
}
