// A small React page of the playground: the hook of docs/recipes.md under <StrictMode>, written without JSX
// so that it needs no build plugin. It shows this tab's role and the jti of the token it holds.

import { decodeJwt } from 'jose';
import { createElement as h, StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { key } from '../app';
import { useIsLeader, useToken } from './use-token';

function App() {
  const token = useToken(key);
  const leader = useIsLeader();
  const jti = token ? String(decodeJwt(token).jti) : '';
  return h(
    'main',
    null,
    h('h1', null, 'tab-token-cache in React'),
    h('p', null, 'role: ', h('strong', { 'data-testid': 'role' }, leader ? 'leader' : 'follower')),
    h('p', null, 'token: ', h('code', { 'data-testid': 'token-jti' }, token ? jti : 'none yet')),
  );
}

const root = document.getElementById('root');
if (root) createRoot(root).render(h(StrictMode, null, h(App)));
