// The visit form's photos: take or choose up to six, each shrunk and kept on the phone at once, so a photo
// survives the form being closed before it is saved (photos.js drops those no visit claims after a day).

import * as photos from './photos.js';
import * as store from './store.js';
import { fill, h } from './ui.js';

/** The picker for a visit, starting from the photos it already declares; `declared()` lists them for the op,
 * `ready()` settles once every chosen photo is kept. */
export function photoPicker(initial = []) {
  const chosen = new Map(); // attachment id -> photo row
  const list = h('ul', { class: 'photo-list', id: 'visit-photos' });
  const error = h('p', { class: 'field-error', role: 'alert' });
  let working = Promise.resolve();

  const redraw = () => fill(list, [...chosen.values()].map((row) => h('li', { class: 'photo' },
    row.blob ? h('img', { src: URL.createObjectURL(row.blob), alt: '走访照片' })
      : h('span', { class: 'photo-done' }, row.state === 'uploaded' ? '已上传' : '照片'),
    h('button', {
      type: 'button', class: 'link', 'aria-label': '删除这张照片',
      onclick: () => { chosen.delete(row.id); redraw(); },
    }, '删除'))));

  const add = (files) => {
    error.textContent = '';
    const room = photos.MAX_PHOTOS - chosen.size;
    if (files.length > room) error.textContent = `每次走访最多 ${photos.MAX_PHOTOS} 张照片`;
    working = working.then(async () => {
      for (const file of files.slice(0, room)) {
        try {
          const row = await photos.keepPhoto(file);
          chosen.set(row.id, row);
        } catch (err) {
          error.textContent = err.message;
        }
        redraw();
      }
    });
    return working;
  };

  Promise.all(initial.map((a) => store.get('photos', a.attachment_id))).then((rows) => {
    // A photo whose image the phone no longer holds (already sent) is kept by what the visit declared.
    rows.forEach((row, i) => chosen.set(initial[i].attachment_id, row || { id: initial[i].attachment_id, ...initial[i] }));
    redraw();
  });

  const input = h('input', {
    id: 'visit-photo', type: 'file', accept: 'image/jpeg,image/png,image/webp', capture: 'environment',
    multiple: true, class: 'photo-input',
    onchange: (e) => { add([...e.target.files]); e.target.value = ''; },
  });
  const el = h('fieldset', { class: 'field' },
    h('legend', {}, `照片（选填，最多 ${photos.MAX_PHOTOS} 张）`),
    list,
    photos.canAttach()
      ? h('label', { class: 'btn', for: 'visit-photo' }, '拍照或选照片', input)
      : h('p', { class: 'hint' }, '当前连接不是 HTTPS，不能附加照片'),
    error);
  return {
    el,
    ready: () => working,
    declared: () => [...chosen.values()].map(photos.declared),
  };
}
