// Web Push opt-in: offered only where the browser can do it and the server has a VAPID key.

import { call } from './api.js';
import { fill, h, toast } from './ui.js';

const SUBSCRIPTIONS = '/notifications/push/subscriptions';

function supported() {
  return 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
}

/** base64url (the server's key) -> the bytes pushManager.subscribe wants. */
function keyBytes(b64url) {
  const b64 = (b64url + '='.repeat((4 - (b64url.length % 4)) % 4)).replace(/-/g, '+').replace(/_/g, '/');
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

/** The service worker's registration, or null (getRegistration never hangs, unlike `ready`). */
async function registration() {
  const reg = await navigator.serviceWorker.getRegistration('/');
  return reg?.active && reg.pushManager ? reg : null;
}

function register(sub) {
  const json = sub.toJSON();
  return call('POST', SUBSCRIPTIONS, { endpoint: json.endpoint, keys: { p256dh: json.keys.p256dh, auth: json.keys.auth } });
}

async function turnOn(reg, key) {
  const permission = await Notification.requestPermission();
  if (permission !== 'granted') throw new Error('没有通知权限：请在浏览器或系统设置中允许“板凳”发送通知');
  const sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key) });
  try {
    await register(sub);
  } catch (err) {
    await sub.unsubscribe().catch(() => {});
    throw err;
  }
}

/** Stops pushes to this browser: tells the server when it can, and the push service in any case. */
export async function turnOffPush() {
  if (!supported()) return;
  const reg = await registration().catch(() => null);
  const sub = reg && await reg.pushManager.getSubscription();
  if (!sub) return;
  try {
    await call('DELETE', SUBSCRIPTIONS, { endpoint: sub.endpoint });
  } catch { /* offline: the push service refuses the next message and the server drops the endpoint */ }
  await sub.unsubscribe();
}

/** The opt-in box of the inbox page; stays empty where push cannot work. */
export function pushBox() {
  const box = h('div', { class: 'push-box', hidden: true });
  if (supported()) setUp(box).catch(() => { box.hidden = true; });
  return box;
}

async function setUp(box) {
  const reg = await registration();
  if (!reg) return;
  const { public_key: key } = await call('GET', '/notifications/push/key'); // 404 push_not_configured: no box
  const sub = await reg.pushManager.getSubscription();
  // The server may have dropped or reassigned this browser since: registering again is harmless.
  if (sub) register(sub).catch(() => {});
  show(box, reg, key, Boolean(sub));
}

function show(box, reg, key, on) {
  const denied = Notification.permission === 'denied';
  const btn = h('button', { type: 'button', class: on ? 'btn' : 'btn primary', disabled: denied && !on },
    on ? '关闭提醒' : '开启消息提醒');
  const note = h('p', { class: 'hint' }, on
    ? '已开启：黄牌、红牌等消息会提醒到这台手机'
    : denied ? '通知权限已被拒绝，请在浏览器设置中允许后再开启' : '开启后，有新的督办消息时手机会提醒您');
  btn.addEventListener('click', async () => {
    btn.disabled = true;
    try {
      if (on) await turnOffPush(); else await turnOn(reg, key);
      toast(on ? '已关闭消息提醒' : '已开启消息提醒');
      show(box, reg, key, !on);
    } catch (err) {
      // The browser's own errors are in English: ours and the server's are shown as they are.
      toast(/[\u4e00-\u9fff]/.test(err.message || '') ? err.message
        : on ? '关闭提醒未能完成，请稍后再试' : '这台手机暂时无法开启提醒，请稍后再试');
      btn.disabled = false;
    }
  });
  fill(box, btn, note);
  box.hidden = false;
}
