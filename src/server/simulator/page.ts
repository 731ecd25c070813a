/**
 * The simulator page: one self-contained HTML document (inline CSS and JS, no external URLs, no
 * build step), styled like a WhatsApp chat. Its script is in page-script.ts.
 */
import { randomBytes } from 'node:crypto';
import { PAGE_SCRIPT } from './page-script.ts';

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

const STYLE = `
* { box-sizing: border-box; }
html, body { margin: 0; height: 100%; }
body { font: 15px/1.35 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #111b21; background: #d1d7db;
  display: flex; justify-content: center; }
.app { display: flex; flex-direction: column; width: 100%; max-width: 760px; height: 100%; background: #efeae2; }
header { display: flex; align-items: center; gap: 10px; padding: 8px 12px; background: #008069; color: #fff; flex-wrap: wrap; }
header .avatar { width: 38px; height: 38px; border-radius: 50%; background: #25d366; display: grid; place-items: center;
  font-weight: 700; color: #fff; flex: none; }
header .title { flex: 1; min-width: 120px; }
header .title b { display: block; }
header .title small { opacity: .85; display: block; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
header .title small.typing { opacity: 1; font-style: italic; }
.numberbox { display: flex; align-items: center; gap: 6px; font-size: 12px; }
.numberbox input { width: 170px; padding: 5px 8px; border: 0; border-radius: 6px; font: inherit; font-size: 13px; }
.numberbox select { padding: 4px 4px; border: 0; border-radius: 6px; font: inherit; font-size: 12px; background: #fff; color: #111b21; }
.online { border: 0; border-radius: 6px; padding: 4px 6px; font: inherit; font-size: 12px; background: #fff; color: #027eb5; cursor: pointer; }
.online[aria-pressed=false] { color: #8696a0; text-decoration: line-through; }
.dot { width: 10px; height: 10px; border-radius: 50%; background: #f15c6d; flex: none; }
.dot.on { background: #25d366; box-shadow: 0 0 0 2px #ffffff55; }
#chat { flex: 1; overflow-y: auto; padding: 12px 5%; display: flex; flex-direction: column; gap: 6px;
  background-color: #efeae2; background-image: radial-gradient(#d9d2c5 1px, transparent 1px); background-size: 18px 18px; }
.msg { max-width: 80%; padding: 6px 8px 4px; border-radius: 8px; box-shadow: 0 1px .5px #0b141a22; white-space: pre-wrap;
  overflow-wrap: anywhere; position: relative; }
.msg.out { align-self: flex-end; background: #d9fdd3; border-top-right-radius: 0; }
.msg.in { align-self: flex-start; background: #fff; border-top-left-radius: 0; }
.msg.error { align-self: center; background: #fde2e1; color: #8b1a12; border-radius: 8px; }
.msg img.thumb { display: block; max-width: 100%; width: 240px; max-height: 240px; object-fit: cover; border-radius: 6px; margin-bottom: 4px; }
.msg video { display: block; width: 260px; max-width: 100%; border-radius: 6px; background: #000; margin-bottom: 4px; }
.msg audio { display: block; width: 240px; max-width: 100%; margin-bottom: 4px; }
.msg .tapped { font-size: 12px; color: #54656f; margin-bottom: 2px; }
.meta { display: flex; gap: 6px; align-items: center; justify-content: flex-end; font-size: 11px; color: #667781; margin-top: 2px;
  white-space: nowrap; flex-wrap: wrap; }
.meta .label { margin-right: auto; font-style: italic; overflow: hidden; text-overflow: ellipsis; max-width: 100%; }
.meta button, .status-menu button, .chips button { font: inherit; font-size: 11px; border: 1px solid #c9d1d5; background: #fff;
  color: #008069; border-radius: 10px; padding: 1px 8px; cursor: pointer; }
.choices { display: flex; flex-direction: column; gap: 4px; margin-top: 6px; }
.choices button { font: inherit; font-size: 14px; border: 0; border-top: 1px solid #e9edef; background: #fff; color: #008069;
  padding: 8px 6px 4px; cursor: pointer; text-align: center; }
.choices button:disabled { color: #8696a0; cursor: default; }
.choices .hint { font-size: 11px; color: #667781; text-align: center; }
.ticks { font-weight: 700; letter-spacing: -3px; padding-right: 3px; color: #8696a0; }
.ticks.read { color: #53bdeb; }
.badge { margin-top: 4px; display: inline-block; background: #d93025; color: #fff; font-size: 12px; font-weight: 600;
  border-radius: 10px; padding: 2px 8px; }
.status-menu { display: flex; gap: 4px; flex-wrap: wrap; margin-top: 4px; }
.status-menu[hidden], .badge[hidden] { display: none; }
.progress { font-size: 13px; color: #54656f; margin-top: 4px; padding: 3px 6px; background: #f0f2f5; border-radius: 6px; }
.progress .bar { height: 4px; border-radius: 2px; background: #d1d7db; margin-top: 3px; overflow: hidden; }
.progress .bar i { display: block; height: 100%; width: 0; background: #25d366; transition: width .4s; }
.progress[data-status="done"] { color: #027a48; }
.progress[data-status="failed"], .progress[data-status="canceled"] { color: #b42318; }
.note { align-self: center; font-size: 12.5px; background: #ffeecd; color: #54656f; padding: 4px 10px; border-radius: 7px;
  text-align: center; max-width: 90%; }
.note.ok { background: #e1f6e5; color: #14532d; }
.note.bad { background: #fde2e1; color: #8b1a12; }
.typing-bubble { align-self: flex-start; background: #fff; border-radius: 8px; border-top-left-radius: 0; padding: 8px 12px;
  box-shadow: 0 1px .5px #0b141a22; font-size: 18px; letter-spacing: 2px; color: #8696a0; }
.typing-bubble[hidden] { display: none; }
.chips { display: flex; gap: 6px; padding: 6px 10px 0; background: #f0f2f5; overflow-x: auto; flex: none; }
.chips button { flex: none; }
#preview { display: flex; align-items: center; gap: 8px; padding: 6px 12px 0; background: #f0f2f5; font-size: 13px; }
#preview[hidden] { display: none; }
#preview img { height: 48px; border-radius: 4px; }
#preview audio { height: 32px; max-width: 60%; }
#preview img[hidden], #preview audio[hidden] { display: none; }
form { display: flex; gap: 6px; align-items: center; padding: 8px 8px; background: #f0f2f5; }
form input[type=text] { flex: 1; min-width: 0; padding: 10px 12px; border: 0; border-radius: 8px; font: inherit; }
.attach, .mic { cursor: pointer; padding: 0 2px; color: #54656f; display: flex; background: none; border: 0; }
.attach input { display: none; }
.mic.recording { color: #d93025; }
.send { width: 42px; height: 42px; border-radius: 50%; border: 0; background: #008069; color: #fff; font-size: 18px; cursor: pointer; flex: none; }
@media (max-width: 520px) {
  header { gap: 8px; padding: 6px 10px; }
  header .avatar { width: 32px; height: 32px; }
  .numberbox label { display: none; }
  .numberbox input { width: 140px; }
  #chat { padding: 10px 8px; }
  .msg { max-width: 88%; }
}
`;

export const pageHtml = (options: { defaultFrom: string }): { html: string; nonce: string } => {
  const nonce = randomBytes(16).toString('base64');
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>vidbot · WhatsApp simulator</title>
<link rel="icon" href="data:,">
<style nonce="${nonce}">${STYLE}</style>
</head>
<body data-default-from="${escapeHtml(options.defaultFrom)}" data-live="0">
<div class="app">
  <header>
    <div class="avatar">vb</div>
    <div class="title"><b>vidbot</b><small id="subtitle" data-idle="WhatsApp simulator · signed like Twilio, through the real webhook">WhatsApp simulator · signed like Twilio, through the real webhook</small></div>
    <div class="numberbox"><label for="number">your number</label>
      <input id="number" type="text" autocomplete="off" spellcheck="false" placeholder="+15550001234" aria-label="your number">
      <select id="format" aria-label="which service the webhook speaks" title="post as Twilio does (forms, TwiML answer) or as Meta's Cloud API does (signed JSON, replies as messages)">
        <option value="twilio">Twilio</option><option value="cloud-api">Cloud API</option></select>
      <button id="online" class="online" type="button" aria-pressed="true" title="Phone on: each message the bot sends is confirmed delivered (✓✓), as a phone that is on confirms it. Off: messages stay at ✓ sent, to post other statuses from a message's menu">✓✓</button>
      <span id="live" class="dot" title="connecting"></span></div>
  </header>
  <main id="chat" aria-live="polite"></main>
  <div class="chips">
    <button type="button" data-command="/help">/help</button>
    <button type="button" data-command="/status">/status</button>
    <button type="button" data-command="/history">/history</button>
    <button type="button" data-command="/cancel">/cancel</button>
  </div>
  <div id="preview" hidden><img id="preview-img" alt="image to send" hidden><audio id="preview-audio" controls hidden></audio>
    <span id="preview-name"></span><button type="button" id="preview-remove">remove</button></div>
  <form id="composer" autocomplete="off">
    <label class="attach" title="attach a photo (image-to-video) or a voice note"><svg width="24" height="24" viewBox="0 0 24 24" aria-hidden="true"><path fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" d="M16.5 6.5 8.6 14.4a2 2 0 0 0 2.8 2.8l8-8a4 4 0 0 0-5.6-5.6l-8.2 8.2a6 6 0 0 0 8.5 8.5l6.4-6.4"/></svg><input id="file" type="file" accept="image/*,audio/*"></label>
    <button type="button" id="mic" class="mic" title="record a voice note (click again to stop)" aria-label="record a voice note"><svg width="22" height="22" viewBox="0 0 24 24" aria-hidden="true"><path fill="currentColor" d="M12 15a3 3 0 0 0 3-3V6a3 3 0 0 0-6 0v6a3 3 0 0 0 3 3Zm5-3a5 5 0 0 1-10 0H5a7 7 0 0 0 6 6.9V21h2v-2.1a7 7 0 0 0 6-6.9h-2Z"/></svg></button>
    <input id="text" type="text" placeholder="Describe a video, or send /help">
    <button class="send" type="submit" title="send">➤</button>
  </form>
</div>
<script nonce="${nonce}">${PAGE_SCRIPT}</script>
</body>
</html>
`;
  return { html, nonce };
};
