/** The simulator page's building blocks: elements, bubbles, the scroll that follows the newest message, the typing dots. */
export const CHAT_PART = String.raw`
  var $ = function (id) { return document.getElementById(id); };
  var chat = $('chat'), numberInput = $('number'), text = $('text'), fileInput = $('file'), live = $('live'), subtitle = $('subtitle');
  var source = null, progressOf = {}, lastTask = {}, bubbleOf = {};
  // Whether the chat shows its newest message; new content keeps it there, unless the user scrolled up to read.
  var atBottom = true;
  var TYPING_MS = 25000, typingTimer = null;

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
  // Where the page last scrolled itself to. A scroll event arrives a frame late: content that grew
  // meanwhile (a video's size known) puts the bottom further away without the user scrolling up,
  // so only a position above the page's own counts as the user leaving the bottom.
  var ownTop = 0;
  chat.addEventListener('scroll', function () {
    if (chat.scrollHeight - chat.scrollTop - chat.clientHeight < 60) { atBottom = true; ownTop = chat.scrollTop; }
    else if (chat.scrollTop < ownTop - 1) atBottom = false;
  });
  function stickToBottom(force) {
    if (force) atBottom = true;
    if (atBottom) { chat.scrollTop = chat.scrollHeight; ownTop = chat.scrollTop; }
  }
  // Media grows its bubble when it loads: keep following.
  function follows(media) { media.addEventListener('loadedmetadata', function () { stickToBottom(false); }); media.addEventListener('load', function () { stickToBottom(false); }); return media; }
  function clock(ts) { return new Date(ts || Date.now()).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }); }
  function address() {
    var v = numberInput.value.replace(/[\s()-]/g, '');
    return v.indexOf('whatsapp:') === 0 ? v : 'whatsapp:' + v;
  }
  // New bubbles go above the typing dots, which stay last.
  var typingBubble = el('div', 'typing-bubble', '•••');
  typingBubble.hidden = true;
  typingBubble.title = 'typing…';
  function add(node) { chat.insertBefore(node, typingBubble.parentNode === chat ? typingBubble : null); stickToBottom(false); return node; }
  function bubble(classes) { return add(el('div', 'msg ' + classes)); }
  function meta(b, label, ts) {
    var m = el('div', 'meta');
    m.appendChild(el('span', 'label', label || ''));
    m.appendChild(el('span', 'time', clock(ts)));
    b.appendChild(m);
    return m;
  }
  function note(content, cls) { return add(el('div', 'note ' + (cls || ''), content)); }
  function errorBubble(message) { var b = bubble('error'); b.textContent = message; return b; }
  function reasonOf(data) { return (data && data.error && data.error.message) || ''; }

  async function post(path, payload) {
    var res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) });
    var data = await res.json().catch(function () { return {}; });
    if (!res.ok) throw new Error(reasonOf(data) || 'HTTP ' + res.status);
    return data;
  }

  // WhatsApp's typing indicator lasts 25 s, or until the next message arrives.
  function showTyping() {
    typingBubble.hidden = false;
    subtitle.textContent = 'typing…';
    subtitle.className = 'typing';
    stickToBottom(false);
    clearTimeout(typingTimer);
    typingTimer = setTimeout(hideTyping, TYPING_MS);
  }
  function hideTyping() {
    clearTimeout(typingTimer);
    typingBubble.hidden = true;
    subtitle.textContent = subtitle.dataset.idle;
    subtitle.className = '';
  }
`;
