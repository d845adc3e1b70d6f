// The browser entry of the consumer's page: shows the token it got, for the check to read.
import { firstToken, tokens } from './app.js';

firstToken().then((token) => {
  document.body.dataset.token = token;
  document.body.dataset.leader = String(tokens.isLeader);
});
