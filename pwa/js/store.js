// The phone's own copy of grid work, in IndexedDB: it outlives a reload, a closed tab and a day without signal.
//   outbox      ops waiting for the server (key op_id), each with the user who made it
//   households  the worker's grids as the last pull left them (key id)
//   meta        small named values: the pull cursor, the due list, categories, when we last synced
//   photos      visit photos (key id = attachment id): the image until the server has it, then its receipt

const DB = 'bandeng';
const VERSION = 2; // 2: photos
const STORES = ['outbox', 'households', 'meta', 'photos'];
const KEYS = { outbox: 'op_id', meta: 'key' };
let opening = null;

function open() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const req = indexedDB.open(DB, VERSION);
      req.onupgradeneeded = () => {
        for (const name of STORES) {
          if (!req.result.objectStoreNames.contains(name)) {
            req.result.createObjectStore(name, { keyPath: KEYS[name] || 'id' });
          }
        }
      };
      req.onsuccess = () => {
        // A newer version of the app in another tab needs the database: let it upgrade, reopen on next use.
        req.result.onversionchange = () => { req.result.close(); opening = null; };
        resolve(req.result);
      };
      req.onerror = () => { opening = null; reject(req.error); };
    });
  }
  return opening;
}

/** Runs `work(store)` in one transaction; resolves once it is committed (durable), with work's result. */
async function run(name, mode, work) {
  const db = await open();
  const tx = db.transaction(name, mode, { durability: 'strict' });
  const result = work(tx.objectStore(name));
  await new Promise((resolve, reject) => {
    tx.oncomplete = resolve;
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error('aborted'));
  });
  return result instanceof IDBRequest ? result.result : result;
}

export const all = (name) => run(name, 'readonly', (s) => s.getAll());
export const get = (name, key) => run(name, 'readonly', (s) => s.get(key));
export const put = (name, value) => run(name, 'readwrite', (s) => s.put(value));
export const remove = (name, key) => run(name, 'readwrite', (s) => s.delete(key));

/** Writes many rows (and deletes some keys) in one transaction: a pull page lands whole or not at all. */
export function putMany(name, rows, deleteKeys = []) {
  return run(name, 'readwrite', (s) => {
    rows.forEach((row) => s.put(row));
    deleteKeys.forEach((key) => s.delete(key));
  });
}

export const clear = (name) => run(name, 'readwrite', (s) => s.clear());

export async function getMeta(key, fallback = null) {
  const row = await get('meta', key);
  return row ? row.value : fallback;
}

export const setMeta = (key, value) => put('meta', { key, value });
