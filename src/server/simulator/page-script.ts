/**
 * The simulator page's script, as plain browser JavaScript in strings (no build step), in parts
 * that share one closure: the chat's building blocks, what the bot sends, what the user sends, and
 * the start (history, then the live event stream). It writes only through textContent, so nothing
 * the bot or a user sends can become markup. No backticks or template placeholders inside the
 * parts, since they live in template literals.
 */
import { BOT_PART } from './page-script-bot.ts';
import { CHAT_PART } from './page-script-chat.ts';
import { COMPOSER_PART } from './page-script-composer.ts';

const START_PART = String.raw`
  // A reload shows the conversation again (from the store), then follows it live from that moment.
  async function fetchHistory(from) {
    var res = await fetch('/simulator/history?to=' + encodeURIComponent(from));
    var data = await res.json().catch(function () { return {}; });
    if (!res.ok) throw new Error(reasonOf(data) || 'HTTP ' + res.status);
    return data;
  }

  function showHistory(data) {
    (data.tasks || []).forEach(onTask);
    (data.items || []).forEach(function (item) {
      if (item.type === 'user') userBubble(item.text, item.media, item.button, item.ts).meta.firstChild.textContent = item.messageSid ? item.messageSid.slice(0, 12) + '…' : '';
      else if (item.type === 'reply') showAnswer({ status: 200, reply: item.text, taskId: item.taskId, newTasks: item.taskId ? 1 : 0 }, 'TwiML reply', item.ts);
      else onOutbound(item);
    });
    return data.now;
  }

  function connect(since) {
    if (source) source.close();
    document.body.dataset.live = '0';
    live.className = 'dot';
    source = new EventSource('/simulator/events?to=' + encodeURIComponent(address()) + (since ? '&since=' + since : ''));
    source.addEventListener('ready', function () { document.body.dataset.live = '1'; live.className = 'dot on'; live.title = 'live'; });
    source.addEventListener('outbound', function (e) { onOutbound(JSON.parse(e.data)); });
    source.addEventListener('task', function (e) { onTask(JSON.parse(e.data)); });
    source.addEventListener('typing', function () { showTyping(); });
    source.onerror = function () { document.body.dataset.live = '0'; live.className = 'dot'; live.title = 'reconnecting'; };
  }

  // Each number switched to is a new conversation: a switch made while the last one's history was
  // still loading drops that history (shown late, it would repeat messages sent since).
  var conversation = 0;
  async function setNumber(value) {
    var mine = ++conversation;
    // Shown as a phone number; the WhatsApp address is built from it.
    numberInput.value = value.replace(/^whatsapp:/, '');
    try { localStorage.setItem('vidbot-simulator-from', value); } catch (e) { /* private mode */ }
    if (source) source.close();
    source = null;
    document.body.dataset.live = '0';
    document.body.dataset.history = '0';
    chat.textContent = '';
    chat.appendChild(typingBubble);
    progressOf = {}; lastTask = {}; bubbleOf = {};
    note('Chatting as ' + address() + '. Send a description, a photo, a voice note, or /help.');
    var since = null;
    var history = null;
    var failed = null;
    try { history = await fetchHistory(address()); } catch (e) { failed = e; }
    if (mine !== conversation) return;
    if (history) since = showHistory(history);
    if (failed) errorBubble('Could not load the conversation: ' + failed.message);
    document.body.dataset.history = '1';
    stickToBottom(true);
    connect(since);
  }

  numberInput.addEventListener('change', function () {
    if (/^(whatsapp:)?\+[1-9][0-9]{6,14}$/.test(numberInput.value.replace(/[\s()-]/g, ''))) setNumber(numberInput.value.trim());
    else errorBubble('Enter a number like +15550001234.');
  });
  // Which service the page speaks: Twilio's forms (TwiML answers), or Meta's Cloud API JSON (replies as messages).
  var formatSelect = $('format');
  function format() { return formatSelect.value; }
  function showFormat() {
    var idle = format() === 'cloud-api' ? "WhatsApp simulator · signed like Meta's Cloud API, through the real webhook" : 'WhatsApp simulator · signed like Twilio, through the real webhook';
    subtitle.dataset.idle = idle;
    if (!subtitle.classList.contains('typing')) subtitle.textContent = idle;
  }
  formatSelect.addEventListener('change', function () {
    try { localStorage.setItem('vidbot-simulator-format', format()); } catch (e) { /* private mode */ }
    showFormat();
  });
  try { if (localStorage.getItem('vidbot-simulator-format') === 'cloud-api') formatSelect.value = 'cloud-api'; } catch (e) { /* private mode */ }
  showFormat();
  // The phone on (default) confirms what it receives, as WhatsApp does; off, messages stay at one tick.
  var onlineButton = $('online');
  function phoneOn() { return onlineButton.getAttribute('aria-pressed') !== 'false'; }
  function showOnline(on) {
    onlineButton.setAttribute('aria-pressed', on ? 'true' : 'false');
    onlineButton.setAttribute('aria-label', on ? 'phone on: messages are confirmed delivered' : 'phone off: messages stay sent');
  }
  onlineButton.addEventListener('click', function () {
    showOnline(!phoneOn());
    try { localStorage.setItem('vidbot-simulator-phone', phoneOn() ? 'on' : 'off'); } catch (e) { /* private mode */ }
  });
  try { showOnline(localStorage.getItem('vidbot-simulator-phone') !== 'off'); } catch (e) { showOnline(true); }
  var saved = null;
  try { saved = localStorage.getItem('vidbot-simulator-from'); } catch (e) { /* private mode */ }
  setNumber(saved || document.body.dataset.defaultFrom);
  text.focus();
`;

export const PAGE_SCRIPT = `
(function () {
  'use strict';
${CHAT_PART}
${BOT_PART}
${COMPOSER_PART}
${START_PART}
})();
`;
