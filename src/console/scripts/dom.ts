/**
 * Browser module `dom.js`: building elements without innerHTML (device names are input from
 * cameras and users, so text goes in as text), and formatting times for people.
 */
export const domJs = String.raw`
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
}

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export function formatTime(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

/** A state as a coloured badge: ONLINE, OFFLINE, CONNECTED, AUTHENTICATION_FAILED, … */
export function badge(state) {
  return h('span', { class: 'badge state-' + String(state).toLowerCase() }, state);
}

export function field(label, input) {
  return h('label', { class: 'field' }, h('span', {}, label), input);
}
`;
