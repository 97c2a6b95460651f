/**
 * Browser module `sign-in.js`: the sign-in page, enterprise (user ID, AK, SK) or user
 * (login name and password: enterprise users and personal accounts).
 */
export const signInJs = String.raw`
import { clear, field, h } from './dom.js';
import { signInEnterprise, signInUser } from './session.js';

export function renderSignIn(root, message) {
  const error = h('p', { id: 'sign-in-error', class: 'error', role: 'alert' }, message || '');
  const enterprise = enterpriseForm(error);
  const user = userForm(error);
  user.hidden = true;
  const tab = (label, id, form, other) =>
    h('button', {
      type: 'button', role: 'tab', id, 'aria-selected': String(form === enterprise),
      onclick: (event) => {
        form.hidden = false;
        other().hidden = true;
        for (const t of event.target.parentElement.children)
          t.setAttribute('aria-selected', 'false');
        event.target.setAttribute('aria-selected', 'true');
        error.textContent = '';
      },
    }, label);
  clear(root, h('section', { class: 'card sign-in' },
    h('h1', {}, 'Sign in to Argus'),
    h('div', { class: 'tabs', role: 'tablist' },
      tab('Enterprise (AK/SK)', 'tab-enterprise', enterprise, () => user),
      tab('User account', 'tab-user', user, () => enterprise)),
    enterprise, user, error));
}

function enterpriseForm(error) {
  const userId = h('input', { id: 'user-id', required: true, autocomplete: 'username' });
  const ak = h('input', { id: 'ak', required: true });
  const sk = h('input', { id: 'sk', type: 'password', required: true,
    autocomplete: 'current-password' });
  return h('form', {
    id: 'sign-in-enterprise',
    onsubmit: submit(error, () => signInEnterprise(userId.value.trim(), ak.value.trim(), sk.value)),
  }, field('User ID', userId), field('AK', ak), field('SK', sk),
  h('button', { type: 'submit', class: 'primary' }, 'Sign in'));
}

function userForm(error) {
  const login = h('input', { id: 'login-name', required: true, autocomplete: 'username' });
  const password = h('input', { id: 'password', type: 'password', required: true,
    autocomplete: 'current-password' });
  return h('form', {
    id: 'sign-in-user',
    onsubmit: submit(error, () => signInUser(login.value.trim(), password.value)),
  }, field('Login name', login), field('Password', password),
  h('button', { type: 'submit', class: 'primary' }, 'Sign in'));
}

function submit(error, signIn) {
  return async (event) => {
    event.preventDefault();
    error.textContent = '';
    try {
      await signIn();
    } catch (failure) {
      error.textContent = 'Cannot sign in: ' + failure.message;
    }
  };
}
`;
