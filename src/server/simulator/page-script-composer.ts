/** What the user sends from the simulator page: text, a photo, a voice note (recorded or a file), button taps, replays. */
export const COMPOSER_PART = String.raw`
  var pending = null, recorder = null, recordTimer = null;
  var MAX_RECORDING_MS = 60000;
  var mic = $('mic');

  function mediaNode(media) {
    if (/^audio\//.test(media.contentType)) {
      var audio = follows(el('audio'));
      audio.controls = true;
      audio.src = media.url;
      return audio;
    }
    var img = follows(el('img', 'thumb'));
    img.alt = 'attached photo';
    img.addEventListener('error', function () { img.replaceWith(el('div', 'tapped', '📷 a photo (no longer kept by the simulator)')); });
    img.src = media.url;
    return img;
  }

  function userBubble(body, media, tapped, ts) {
    var b = bubble('out user');
    if (tapped) b.appendChild(el('div', 'tapped', '↩︎ tapped a button'));
    if (media) b.appendChild(mediaNode(media));
    if (body) b.appendChild(el('div', 'text', body));
    return { b: b, meta: meta(b, 'sending…', ts) };
  }

  async function replay(first, from) {
    try {
      var data = await post('/simulator/send', { from: from, messageSid: first.messageSid, format: first.format });
      if (!showAnswer(data, 'TwiML reply · replay')) return;
      var same = data.reply === first.reply, deduped = data.newTasks === 0;
      note('↻ Same MessageSid ' + first.messageSid + ' posted again: ' + (same ? 'same answer' : 'a different answer') + ', ' +
        (deduped ? 'no second task (deduplicated)' : data.newTasks + ' new task(s)'), 'replay-result ' + (same && deduped ? 'ok' : 'bad'));
    } catch (e) { errorBubble('Replay failed: ' + e.message); }
  }

  // One message to the webhook, shown as the user's bubble, then the webhook's answer.
  async function deliver(payload, shown) {
    var from = address();
    payload.from = from;
    payload.format = format();
    var sent = userBubble(shown.body, shown.media, shown.tapped);
    stickToBottom(true);
    try {
      var data = await post('/simulator/send', payload);
      sent.b.dataset.sid = data.messageSid;
      sent.meta.firstChild.textContent = data.messageSid.slice(0, 12) + '…';
      sent.meta.firstChild.title = data.messageSid;
      sent.meta.appendChild(button('replay', 'Post it again with the same MessageSid, as Twilio retries', function () { replay(data, from); }));
      var answer = showAnswer(data, 'TwiML reply');
      // Right under the message it answers, as a reload shows it: a quick video may have come first.
      if (answer && sent.b.parentNode) sent.b.insertAdjacentElement('afterend', answer);
    } catch (e) {
      sent.meta.firstChild.textContent = 'not sent';
      errorBubble('Could not send: ' + e.message);
    }
  }

  function sendMessage(body, attachment) {
    var payload = { body: body };
    if (attachment) payload[attachment.kind] = attachment.dataUrl;
    deliver(payload, { body: body, media: attachment ? { url: attachment.dataUrl, contentType: attachment.type } : null });
  }

  // As Twilio posts a quick-reply tap: the button's text as the body, its payload, and the message it belongs to.
  function sendTap(choice, repliedTo) {
    deliver({ body: choice.title, buttonPayload: choice.id, buttonText: choice.title, repliedTo: repliedTo }, { body: choice.title, tapped: true });
  }

  function clearAttachment() {
    pending = null;
    fileInput.value = '';
    $('preview').hidden = true;
    $('preview-img').hidden = true;
    $('preview-audio').hidden = true;
    $('preview-audio').removeAttribute('src');
  }
  function attach(dataUrl, type, name) {
    var kind = /^audio\//.test(type) ? 'audio' : 'image';
    pending = { kind: kind, dataUrl: dataUrl, type: type };
    $('preview-img').hidden = kind !== 'image';
    $('preview-audio').hidden = kind !== 'audio';
    $(kind === 'image' ? 'preview-img' : 'preview-audio').src = dataUrl;
    $('preview-name').textContent = name;
    $('preview').hidden = false;
  }
  function readAsDataUrl(blob, then) {
    var reader = new FileReader();
    reader.onload = function () { then(String(reader.result)); };
    reader.readAsDataURL(blob);
  }
  fileInput.addEventListener('change', function () {
    var file = fileInput.files && fileInput.files[0];
    if (!file) return clearAttachment();
    readAsDataUrl(file, function (dataUrl) { attach(dataUrl, file.type || 'application/octet-stream', file.name); });
  });
  $('preview-remove').addEventListener('click', clearAttachment);

  // A voice note recorded in the page: Opus in Ogg where the browser can (what WhatsApp sends), else WebM.
  function stopRecording() { if (recorder && recorder.state !== 'inactive') recorder.stop(); }
  mic.addEventListener('click', async function () {
    if (recorder && recorder.state === 'recording') return stopRecording();
    if (!window.MediaRecorder || !navigator.mediaDevices) return errorBubble('This browser cannot record audio here; attach an audio file instead.');
    var stream;
    try { stream = await navigator.mediaDevices.getUserMedia({ audio: true }); } catch (e) { return errorBubble('No microphone: ' + e.message); }
    var type = ['audio/ogg;codecs=opus', 'audio/webm;codecs=opus'].filter(function (t) { return MediaRecorder.isTypeSupported(t); })[0];
    var chunks = [];
    recorder = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
    recorder.ondataavailable = function (e) { if (e.data.size) chunks.push(e.data); };
    recorder.onstop = function () {
      clearTimeout(recordTimer);
      stream.getTracks().forEach(function (track) { track.stop(); });
      mic.className = 'mic';
      mic.title = 'record a voice note (click again to stop)';
      var blob = new Blob(chunks, { type: (recorder.mimeType || 'audio/webm').split(';')[0] });
      readAsDataUrl(blob, function (dataUrl) { attach(dataUrl, blob.type, '🎙️ voice note'); });
    };
    recorder.start();
    mic.className = 'mic recording';
    mic.title = 'recording… click to stop';
    recordTimer = setTimeout(stopRecording, MAX_RECORDING_MS);
  });

  $('composer').addEventListener('submit', function (e) {
    e.preventDefault();
    var body = text.value.trim();
    if (!body && !pending) return;
    var attachment = pending;
    text.value = '';
    clearAttachment();
    sendMessage(body, attachment);
  });
  Array.prototype.forEach.call(document.querySelectorAll('[data-command]'), function (b) {
    b.addEventListener('click', function () { sendMessage(b.dataset.command, null); });
  });
`;
