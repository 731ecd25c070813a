/** What the bot sends, on the simulator page: the webhook's answers, tasks' progress, messages with video, buttons and receipts. */
export const BOT_PART = String.raw`
  var CODES = { '63016': 'outside the 24-hour window', '63019': 'media failed to download' };
  var STAGES = { polish: 'polishing the prompt', cache: 'looking for a ready copy', generate: 'generating the video',
    compress: 'compressing for WhatsApp', publish: 'publishing', deliver: 'sending it to you' };

  function renderTask(p, t) {
    p.dataset.status = t.status;
    var percent = typeof t.progress === 'number' ? Math.max(0, Math.min(100, Math.round(t.progress))) : null;
    var label = t.status === 'queued' ? '⏳ queued'
      : t.status === 'processing' ? '⚙️ ' + (STAGES[t.stage] || 'working') + '…' + (percent !== null ? ' ' + percent + '%' : '')
      : t.status === 'delivering' ? '📤 sending it to you…'
      : t.status === 'done' ? '✅ video ready'
      : t.status === 'failed' ? '❌ failed' + (t.error ? ': ' + t.error : '')
      : '🚫 canceled';
    p.textContent = label;
    if (t.status === 'processing' || t.status === 'delivering') {
      var bar = el('div', 'bar'), fill = el('i');
      fill.style.width = (t.status === 'delivering' ? 100 : percent || 0) + '%';
      bar.appendChild(fill);
      p.appendChild(bar);
    }
  }
  function onTask(t) {
    lastTask[t.taskId] = t;
    if (progressOf[t.taskId]) renderTask(progressOf[t.taskId], t);
  }

  // The webhook's answer: the TwiML text Twilio would send back at once, with the task's progress.
  function showAnswer(data, label, ts) {
    if (data.status !== 200) {
      errorBubble('The webhook answered ' + data.status + ': ' + (reasonOf(data) || 'refused'));
      return null;
    }
    var cloud = data.format === 'cloud-api';
    var b = bubble('in twiml');
    // The Cloud API has no reply in the HTTP answer: the bot's reply follows as a message of its own.
    b.appendChild(el('div', 'text', cloud ? '✓ 200 EVENT_RECEIVED: the reply comes as a message' : data.reply || '(an empty TwiML answer)'));
    if (cloud) label = label.replace('TwiML reply', 'Cloud API webhook');
    if (data.taskId && data.newTasks > 0 && !progressOf[data.taskId]) {
      var p = el('div', 'progress', '⏳ queued');
      p.dataset.task = data.taskId;
      b.appendChild(p);
      progressOf[data.taskId] = p;
      if (lastTask[data.taskId]) renderTask(p, lastTask[data.taskId]);
    }
    meta(b, label, ts);
    stickToBottom(false);
    return b;
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
      var data = await post('/simulator/status', { sid: b.dataset.sid, status: status, errorCode: code, format: format() });
      if (data.status !== 204 && data.status !== 200) { errorBubble('The status route answered ' + data.status + ': ' + (reasonOf(data) || 'refused')); return; }
      renderStatus(b, data.record.status, data.record.errorCode);
      if (!data.applied) note('Twilio reported ' + status + (code ? ' ' + code : '') + '; the message stays ' + data.record.status + ' (states only move forward).');
    } catch (e) { errorBubble('Status simulation failed: ' + e.message); }
  }

  // Reply buttons, as WhatsApp shows quick replies under the message; a tap goes back as Twilio posts one.
  function choicesOf(b, msg) {
    var row = el('div', 'choices');
    msg.choices.forEach(function (choice) {
      var tap = button(choice.title, 'Tap, as on the phone', function () { sendTap(choice, msg.sid); });
      tap.dataset.choice = choice.id;
      row.appendChild(tap);
    });
    b.appendChild(row);
  }

  function statusMenu(b, m) {
    var menu = el('div', 'status-menu');
    menu.hidden = true;
    var codes = format() === 'cloud-api' ? ['131047', '131053'] : ['63016', '63019'];
    [['delivered', null, '✓✓ delivered'], ['read', null, '✓✓ read'], ['failed', codes[0], '✕ failed ' + codes[0] + ' (24-hour window)'],
      ['failed', codes[1], '✕ failed ' + codes[1] + ' (media)']].forEach(function (o) {
      var choice = button(o[2], null, function () { simulate(b, o[0], o[1]); });
      choice.dataset.status = o[0];
      if (o[1]) choice.dataset.code = o[1];
      menu.appendChild(choice);
    });
    m.appendChild(button('simulate delivery status', 'Post a Twilio status callback for this message', function () { menu.hidden = !menu.hidden; }));
    b.appendChild(menu);
  }

  // A message the bot sent through its channel: the result video, a notice, buttons, or a status change of one.
  function onOutbound(msg) {
    var b = bubbleOf[msg.sid] || (msg.id && bubbleOf[msg.id]);
    if (!b) {
      hideTyping();
      b = bubbleOf[msg.sid] = bubble('in bot');
      if (msg.id) bubbleOf[msg.id] = b;
      b.dataset.sid = msg.sid;
      b.dataset.kind = msg.kind;
      if (msg.videoUrl) {
        var video = follows(el('video'));
        video.controls = true;
        video.preload = 'auto';
        video.playsInline = true;
        video.src = msg.videoUrl;
        b.appendChild(video);
      }
      if (msg.body) b.appendChild(el('div', 'text', msg.body));
      if (msg.choices && msg.choices.length) choicesOf(b, msg);
      var m = meta(b, msg.kind === 'result' ? '' : msg.kind, msg.createdAt);
      m.appendChild(el('span', 'ticks'));
      statusMenu(b, m);
      var badge = el('div', 'badge');
      badge.hidden = true;
      b.appendChild(badge);
      stickToBottom(false);
    }
    b.dataset.sid = msg.sid;
    renderStatus(b, msg.status, msg.errorCode);
    // Received by a phone that is on: it says so once, as WhatsApp's double tick does.
    if (msg.status === 'sent' && msg.sid && !b.dataset.confirmed && phoneOn()) {
      b.dataset.confirmed = '1';
      confirmDelivered(b);
    }
  }

  async function confirmDelivered(b) {
    try {
      var data = await post('/simulator/status', { sid: b.dataset.sid, status: 'delivered', format: format() });
      if (data.status === 204 || data.status === 200) renderStatus(b, data.record.status, data.record.errorCode);
    } catch (e) { /* the tick stays single: the page is closing, or the server stopped */ }
  }
`;
