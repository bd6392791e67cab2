// Staff sign-in and the (sometimes forced) password change.

import { ApiError, changePassword, login, session } from './api.js';
import { SYNC_ROLES, syncNow } from './outbox.js';
import { field, formError, go, h, page, submitting, toast } from './ui.js';

/** Grid workers start on their visits; everyone else on the requests they handle. */
const homeFor = (role) => (SYNC_ROLES.has(role) ? '/staff/visits' : '/staff');

export function loginView() {
  const form = h('form', { class: 'form' },
    field('手机号', h('input', {
      id: 'login-mobile', name: 'mobile', type: 'tel', inputmode: 'tel', required: true,
      autocomplete: 'username', maxlength: '20',
    })),
    field('密码', h('input', {
      id: 'login-password', name: 'password', type: 'password', required: true,
      autocomplete: 'current-password',
    })),
    formError(),
    h('button', { type: 'submit', class: 'btn primary' }, '登录'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const mobile = form.elements.mobile.value.trim();
    const tokens = await submitting(form, () => login(mobile, form.elements.password.value));
    if (!tokens) return;
    if (!tokens.must_change_password) syncNow(); // visits this account left unsent on the phone go out now
    go(tokens.must_change_password ? '/password' : homeFor(tokens.user?.role));
  });
  return page('工作人员登录', form,
    h('p', { class: 'muted center' }, '居民无需登录，请返回', h('a', { href: '#/' }, '首页'), '查询或反映诉求。'));
}

export function passwordView() {
  const forced = Boolean(session.user?.must_change_password);
  const form = h('form', { class: 'form' },
    field('当前密码', h('input', {
      id: 'pw-current', name: 'current_password', type: 'password', required: true,
      autocomplete: 'current-password',
    })),
    field('新密码', h('input', {
      id: 'pw-new', name: 'new_password', type: 'password', required: true, minlength: '8',
      autocomplete: 'new-password',
    }), '至少 8 位，含大写字母、小写字母、数字、符号中的 3 种'),
    field('再输一次新密码', h('input', {
      id: 'pw-again', name: 'again', type: 'password', required: true, autocomplete: 'new-password',
    })),
    formError(),
    h('button', { type: 'submit', class: 'btn primary' }, '修改密码'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const { current_password: cur, new_password: next, again } = form.elements;
    const done = await submitting(form, () => {
      if (next.value !== again.value) {
        throw new ApiError(422, 'mismatch', '两次输入的新密码不一致',
          [{ loc: ['body', 'again'], msg: '两次输入不一致', type: 'mismatch' }]);
      }
      return changePassword(cur.value, next.value);
    });
    if (!done) return;
    toast('密码已修改');
    syncNow();
    go(homeFor(session.user?.role));
  });
  return page(forced ? '请先修改初始密码' : '修改密码',
    forced ? h('p', { class: 'lead' }, '为了账号安全，第一次登录需要设置自己的密码。') : null,
    form);
}
