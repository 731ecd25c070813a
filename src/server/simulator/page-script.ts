/**
 * The simulator page's script, as plain browser JavaScript in a string (no build step). It writes
 * only through textContent, so nothing the bot or a user sends can become markup. No backticks or
 * template placeholders inside, since it lives in a template literal.
 */
export const PAGE_SCRIPT = String.raw`
(function () {
  'use strict';
  var $ = function (id) { return document.getElementById(id); };
  var chat = $('chat'), numberInput = $('number'), text = $('text'), fileInput = $('file'), live = $('live');
  var CODES = { '63016': 'outside the 24-hour window', '63019': 'media failed to download' };
  var STAGES = { polish: 'polishing the prompt', cache: 'looking for a ready copy', generate: 'generating the video',
    compress: 'compressing for WhatsApp', publish: 'publishing', deliver: 'sending it to you' };
  var pendingImage = null, source = null;
  var progressOf = {}, lastTask = {}, bubbleOf = {};

  function el(tag, cls, content) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (content !== undefined && content !== null) node.textContent = content;
    return node;
  }
  function button(label, title, onClick) {
    var b = el('button', null, label);
    b.type = 'button';
    if (title) b.title = title;
    b.addEventListener('click', onClick);
    return b;
  }
  function scroll() { chat.scrollTop = chat.scrollHeight; }
  function clock(ts) { return new Date(ts || Date.now()).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }); }
  function address() {
    var v = numberInput.value.replace(/[\s()-]/g, '');
    return v.indexOf('whatsapp:') === 0 ? v : 'whatsapp:' + v;
  }
  function bubble(classes) { var b = el('div', 'msg ' + classes); chat.appendChild(b); return b; }
  function meta(b, label, ts) {
    var m = el('div', 'meta');
    m.appendChild(el('span', 'label', label || ''));
    m.appendChild(el('span', 'time', clock(ts)));
    b.appendChild(m);
    return m;
  }
  function note(content, cls) { var n = el('div', 'note ' + (cls || ''), content); chat.appendChild(n); scroll(); return n; }
  function errorBubble(message) { var b = bubble('error'); b.textContent = message; scroll(); }
  function reasonOf(data) { return (data && data.error && data.error.message) || ''; }

  async function post(path, payload) {
    var res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) });
    var data = await res.json().catch(function () { return {}; });
    if (!res.ok) throw new Error(reasonOf(data) || 'HTTP ' + res.status);
    return data;
  }

  function renderTask(p, t) {
    p.dataset.status = t.status;
    p.textContent = t.status === 'queued' ? '⏳ queued'
      : t.status === 'processing' ? '⚙️ ' + (STAGES[t.stage] || 'working') + '…'
      : t.status === 'done' ? '✅ video ready'
      : t.status === 'failed' ? '❌ failed' + (t.error ? ': ' + t.error : '')
      : '🚫 canceled';
  }
  function onTask(t) {
    lastTask[t.taskId] = t;
    if (progressOf[t.taskId]) renderTask(progressOf[t.taskId], t);
  }

  // The webhook's answer: the TwiML text Twilio would send back at once, with the task's progress.
  function showAnswer(data, label) {
    if (data.status !== 200) {
      errorBubble('The webhook answered ' + data.status + ': ' + (reasonOf(data) || 'refused'));
      return null;
    }
    var b = bubble('in twiml');
    b.appendChild(el('div', 'text', data.reply || '(an empty TwiML answer)'));
    if (data.taskId && data.newTasks > 0) {
      var p = el('div', 'progress', '⏳ queued');
      p.dataset.task = data.taskId;
      b.appendChild(p);
      progressOf[data.taskId] = p;
      if (lastTask[data.taskId]) renderTask(p, lastTask[data.taskId]);
    }
    meta(b, label);
    scroll();
    return b;
  }

  async function replay(first, from) {
    try {
      var data = await post('/simulator/send', { from: from, messageSid: first.messageSid });
      if (!showAnswer(data, 'TwiML reply · replay')) return;
      var same = data.reply === first.reply, deduped = data.newTasks === 0;
      note('↻ Same MessageSid ' + first.messageSid + ' posted again: ' + (same ? 'same answer' : 'a different answer') + ', ' +
        (deduped ? 'no second task (deduplicated)' : data.newTasks + ' new task(s)'), 'replay-result ' + (same && deduped ? 'ok' : 'bad'));
    } catch (e) { errorBubble('Replay failed: ' + e.message); }
  }

  async function sendMessage(body, image) {
    var from = address();
    var b = bubble('out user');
    if (image) { var img = el('img', 'thumb'); img.src = image; img.alt = 'attached image'; b.appendChild(img); }
    if (body) b.appendChild(el('div', 'text', body));
    var m = meta(b, 'sending…');
    scroll();
    try {
      var data = await post('/simulator/send', { from: from, body: body, image: image || undefined });
      b.dataset.sid = data.messageSid;
      m.firstChild.textContent = data.messageSid.slice(0, 12) + '…';
      m.firstChild.title = data.messageSid;
      m.appendChild(button('replay', 'Post it again with the same MessageSid, as Twilio retries', function () { replay(data, from); }));
      showAnswer(data, 'TwiML reply');
    } catch (e) {
      m.firstChild.textContent = 'not sent';
      errorBubble('Could not send: ' + e.message);
    }
  }

  function renderStatus(b, status, code) {
    var ticks = b.querySelector('.ticks'), badge = b.querySelector('.badge');
    var failed = status === 'failed' || status === 'undelivered';
    b.dataset.status = status;
    ticks.className = 'ticks ' + status;
    ticks.title = status;
    ticks.textContent = status === 'delivered' || status === 'read' ? '✓✓' : status === 'sent' ? '✓' : failed ? '' : '🕓';
    badge.hidden = !failed;
    badge.textContent = failed ? '⚠ ' + status + (code ? ' · ' + code + (CODES[code] ? ' — ' + CODES[code] : '') : '') : '';
  }

  async function simulate(b, status, code) {
    b.querySelector('.status-menu').hidden = true;
    try {
      var data = await post('/simulator/status', { sid: b.dataset.sid, status: status, errorCode: code });
      if (data.status !== 204) { errorBubble('The status route answered ' + data.status + ': ' + (reasonOf(data) || 'refused')); return; }
      renderStatus(b, data.record.status, data.record.errorCode);
      if (!data.applied) note('Twilio reported ' + status + (code ? ' ' + code : '') + '; the message stays ' + data.record.status + ' (states only move forward).');
    } catch (e) { errorBubble('Status simulation failed: ' + e.message); }
  }

  // A message the bot sent through the messenger: the result video, a notice, or a status change of one.
  function onOutbound(msg) {
    var b = bubbleOf[msg.sid];
    if (!b) {
      b = bubbleOf[msg.sid] = bubble('in bot');
      b.dataset.sid = msg.sid;
      if (msg.videoUrl) {
        var video = el('video');
        video.controls = true;
        video.preload = 'auto';
        video.playsInline = true;
        video.src = msg.videoUrl;
        b.appendChild(video);
      }
      if (msg.body) b.appendChild(el('div', 'text', msg.body));
      var m = meta(b, msg.kind === 'result' ? '' : msg.kind, msg.createdAt);
      m.appendChild(el('span', 'ticks'));
      var menu = el('div', 'status-menu');
      menu.hidden = true;
      [['delivered', null, '✓✓ delivered'], ['read', null, '✓✓ read'], ['failed', '63016', '✕ failed 63016 (24-hour window)'],
        ['failed', '63019', '✕ failed 63019 (media)']].forEach(function (o) {
        var choice = button(o[2], null, function () { simulate(b, o[0], o[1]); });
        choice.dataset.status = o[0];
        if (o[1]) choice.dataset.code = o[1];
        menu.appendChild(choice);
      });
      m.appendChild(button('simulate delivery status', 'Post a Twilio status callback for this message', function () { menu.hidden = !menu.hidden; }));
      b.appendChild(menu);
      var badge = el('div', 'badge');
      badge.hidden = true;
      b.appendChild(badge);
      scroll();
    }
    renderStatus(b, msg.status, msg.errorCode);
  }

  function connect() {
    if (source) source.close();
    document.body.dataset.live = '0';
    live.className = 'dot';
    source = new EventSource('/simulator/events?to=' + encodeURIComponent(address()));
    source.addEventListener('ready', function () { document.body.dataset.live = '1'; live.className = 'dot on'; live.title = 'live'; });
    source.addEventListener('outbound', function (e) { onOutbound(JSON.parse(e.data)); });
    source.addEventListener('task', function (e) { onTask(JSON.parse(e.data)); });
    source.onerror = function () { document.body.dataset.live = '0'; live.className = 'dot'; live.title = 'reconnecting'; };
  }

  function setNumber(value) {
    numberInput.value = value;
    try { localStorage.setItem('vidbot-simulator-from', value); } catch (e) { /* private mode */ }
    chat.textContent = '';
    progressOf = {}; lastTask = {}; bubbleOf = {};
    note('Chatting as ' + address() + '. Send a description, a photo, or /help.');
    connect();
  }

  function clearImage() { pendingImage = null; fileInput.value = ''; $('preview').hidden = true; }
  fileInput.addEventListener('change', function () {
    var file = fileInput.files && fileInput.files[0];
    if (!file) return clearImage();
    var reader = new FileReader();
    reader.onload = function () {
      pendingImage = String(reader.result);
      $('preview-img').src = pendingImage;
      $('preview-name').textContent = file.name;
      $('preview').hidden = false;
    };
    reader.readAsDataURL(file);
  });
  $('preview-remove').addEventListener('click', clearImage);
  $('composer').addEventListener('submit', function (e) {
    e.preventDefault();
    var body = text.value.trim();
    if (!body && !pendingImage) return;
    var image = pendingImage;
    text.value = '';
    clearImage();
    sendMessage(body, image);
  });
  Array.prototype.forEach.call(document.querySelectorAll('[data-command]'), function (b) {
    b.addEventListener('click', function () { sendMessage(b.dataset.command, null); });
  });
  numberInput.addEventListener('change', function () {
    if (/^(whatsapp:)?\+[1-9][0-9]{6,14}$/.test(numberInput.value.replace(/[\s()-]/g, ''))) setNumber(numberInput.value.trim());
    else errorBubble('Enter a number like +15550001234.');
  });
  var saved = null;
  try { saved = localStorage.getItem('vidbot-simulator-from'); } catch (e) { /* private mode */ }
  setNumber(saved || document.body.dataset.defaultFrom);
  text.focus();
})();
`;
