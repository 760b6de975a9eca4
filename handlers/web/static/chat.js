/* The web chat page of hocso: shows what the tutor says, sends what the learner says.
 *
 * Every word shown comes from the server (the web section of content/messages.yaml, in the
 * JSON block #hocso-config, or the messages themselves); none is written here. Server text
 * only ever goes in as text nodes, never as HTML.
 *
 * Sending: one message at a time, in order, each with an id of its own that stays the same
 * when it is sent again after a network failure, so the server applies it once. A 429 (the
 * learner types faster than the server takes) says when to send it again: the page says so
 * (texts.slow_down) and does, keeping the message meanwhile.
 * Receiving: long polls of /chat/api/messages?after=<last seq>.
 * A page drawn with config.busy (too many new learners from this network) says so
 * (texts.busy), sends nothing, and loads itself again after that many seconds.
 *
 * ES2017 and nothing newer (no ?., ??, object spread or lookbehind): old Android phones.
 */
(function () {
  'use strict';

  var config = JSON.parse(document.getElementById('hocso-config').textContent);
  var texts = config.texts;
  var log = document.getElementById('log');
  var notice = document.getElementById('notice');
  var form = document.getElementById('compose');
  var input = document.getElementById('text');
  var composer = document.querySelector('.composer');

  var POLL_WAIT = 25; // seconds the server may hold a poll
  var RELOADED = 'hocso-reloaded';

  var lastSeq = 0;
  var outbox = []; // learner messages not yet acknowledged, oldest first
  var sending = false;
  var trouble = { send: false, poll: false, slow: false };
  var stopped = false;

  // -- ids and requests -----------------------------------------------------------------

  function newId() {
    var cryptoObject = window.crypto || window.msCrypto;
    if (cryptoObject && typeof cryptoObject.randomUUID === 'function') {
      return cryptoObject.randomUUID();
    }
    var bytes = new Uint8Array(16);
    if (cryptoObject && typeof cryptoObject.getRandomValues === 'function') {
      cryptoObject.getRandomValues(bytes);
    } else {
      for (var i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
    }
    var hex = '';
    for (var j = 0; j < bytes.length; j++) hex += (bytes[j] + 256).toString(16).slice(1);
    return hex;
  }

  /* {status, data} for any answer; rejects on a network failure or after timeoutMs. */
  function request(method, url, body, timeoutMs) {
    var options = {
      method: method,
      credentials: 'same-origin',
      cache: 'no-store',
      headers: { Accept: 'application/json' }
    };
    if (body !== undefined) {
      options.headers['Content-Type'] = 'application/json';
      options.body = JSON.stringify(body);
    }
    var controller = typeof AbortController === 'function' ? new AbortController() : null;
    if (controller) options.signal = controller.signal;
    return new Promise(function (resolve, reject) {
      var settled = false;
      var timer = setTimeout(function () {
        settled = true;
        if (controller) controller.abort();
        reject(new Error('timeout'));
      }, timeoutMs);
      fetch(url, options).then(function (response) {
        return response.json().then(function (data) {
          return { status: response.status, data: data };
        }, function () {
          return { status: response.status, data: null };
        });
      }).then(function (result) {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(result);
      }, function (error) {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  var sleepers = []; // the resolvers of waits that `wake` cuts short

  function sleep(ms) {
    return new Promise(function (resolve) {
      var timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        sleepers = sleepers.filter(function (other) { return other !== done; });
        resolve();
      }
      sleepers.push(done);
    });
  }

  /* The network is back, or the learner looks at the page again: try at once, rather than
     at the end of a back-off that may have grown to half a minute. */
  function wake() {
    sleepers.slice().forEach(function (done) { done(); });
  }
  window.addEventListener('online', wake);
  document.addEventListener('visibilitychange', function () {
    if (!document.hidden) wake();
  });

  function backoff(delay) {
    return Math.min(30000, delay * 2);
  }

  // -- notices ----------------------------------------------------------------------------

  function setTrouble(kind, on) {
    trouble[kind] = on;
    if (stopped) return;
    var text = null;
    if (trouble.send || trouble.poll) {
      text = texts.offline;
    } else if (trouble.slow) {
      text = texts.slow_down;
    }
    if (text === null) {
      notice.hidden = true;
    } else if (notice.hidden || notice.textContent !== text) {
      notice.textContent = text;
      notice.hidden = false;
    }
  }

  /* The milliseconds a 429 asks to wait (its retry_after), at least one second. */
  function retryAfter(result) {
    var seconds = result && result.data && Number(result.data.retry_after);
    return Math.max(1000, isFinite(seconds) ? Math.ceil(seconds * 1000) : 1000);
  }

  function worked() {
    try { window.sessionStorage.removeItem(RELOADED); } catch (error) { /* no storage */ }
  }

  /* 401: the cookie is gone. Load the page again once (it sets a new one); if that did not
     help, the browser refuses cookies: say so and stop. */
  function unauthorised() {
    if (stopped) return;
    var again = true;
    try {
      again = window.sessionStorage.getItem(RELOADED) !== '1';
      if (again) window.sessionStorage.setItem(RELOADED, '1');
    } catch (error) {
      again = false;
    }
    if (again) {
      window.location.reload();
      return;
    }
    stopped = true;
    notice.textContent = texts.no_cookie;
    notice.hidden = false;
  }

  // -- drawing ----------------------------------------------------------------------------

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function speaker(label) {
    return element('span', 'sr-only', label + ' ');
  }

  function styledText(runs, fallback) {
    var paragraph = element('div', 'text');
    if (!runs) {
      paragraph.textContent = fallback;
      return paragraph;
    }
    runs.forEach(function (run) {
      var node = document.createTextNode(run.text);
      if (run.italic) {
        var em = element('em');
        em.appendChild(node);
        node = em;
      }
      if (run.bold) {
        var strong = element('strong');
        strong.appendChild(node);
        node = strong;
      }
      paragraph.appendChild(node);
    });
    return paragraph;
  }

  // A web address, or a path on this site (a certificate's PDF): never javascript: and the like.
  function isWebLink(url) {
    return /^https?:\/\//i.test(url) || /^\/(?![\/\\])/.test(url);
  }

  function botMessage(message) {
    var box = element('div', 'msg msg-bot');
    box.setAttribute('tabindex', '-1');
    box.appendChild(speaker(texts.bot));
    box.appendChild(styledText(message.runs, message.text));
    if (message.image) {
      var image = element('img');
      image.alt = texts.image;
      image.src = message.image;
      image.addEventListener('load', function () {
        if (box === log.lastElementChild) scrollToNewest(box);
      });
      box.appendChild(image);
    }
    var buttons = message.buttons || [];
    var links = (message.links || []).filter(function (link) { return isWebLink(link.url); });
    if (buttons.length || links.length) {
      var choices = element('div', 'choices');
      buttons.forEach(function (button) {
        var node = element('button', 'choice', button.label);
        node.type = 'button';
        node.setAttribute('data-payload', button.payload);
        choices.appendChild(node);
      });
      links.forEach(function (link) {
        var anchor = element('a', 'link', link.label);
        anchor.href = link.url;
        anchor.target = '_blank';
        anchor.rel = 'noopener noreferrer';
        anchor.appendChild(element('span', 'sr-only', ' ' + texts.new_tab));
        choices.appendChild(anchor);
      });
      box.appendChild(choices);
    }
    return box;
  }

  function myMessage(label) {
    var box = element('div', 'msg msg-me pending');
    box.appendChild(speaker(texts.you));
    box.appendChild(element('div', 'text', label));
    log.appendChild(box);
    scrollToNewest(box);
    return box;
  }

  /* Only the buttons of the latest message from the tutor can be tapped. */
  function activateLatest() {
    var bots = log.querySelectorAll('.msg-bot');
    var latest = bots.length ? bots[bots.length - 1] : null;
    var buttons = log.querySelectorAll('button.choice');
    for (var i = 0; i < buttons.length; i++) {
      var mine = latest !== null && latest.contains(buttons[i]);
      if (!mine) buttons[i].disabled = true;
    }
  }

  /* Show the newest message: its top when it is taller than the room above the composer,
     else the end of the page. */
  function scrollToNewest(first) {
    var room = window.innerHeight - composer.offsetHeight;
    var bottom = document.documentElement.scrollHeight;
    var top = first ? first.getBoundingClientRect().top + window.pageYOffset : bottom;
    if (first && bottom - top > room) {
      window.scrollTo(0, Math.max(0, top - 8));
    } else {
      window.scrollTo(0, bottom);
    }
  }

  function show(data, initial) {
    if (data.seq < lastSeq) { // the transcript was started again: draw it anew
      while (log.firstChild) log.removeChild(log.firstChild);
      lastSeq = 0;
    }
    var fresh = data.messages.filter(function (message) { return message.seq > lastSeq; });
    lastSeq = Math.max(lastSeq, data.seq);
    if (!fresh.length) return;
    var lostFocus = document.activeElement === null || document.activeElement === document.body ||
      document.activeElement.disabled === true;
    var first = null;
    fresh.forEach(function (message) {
      var box = botMessage(message);
      log.appendChild(box);
      if (!first) first = box;
    });
    activateLatest();
    var newest = log.lastElementChild;
    scrollToNewest(initial ? newest : first);
    if (lostFocus && !initial && newest) {
      // The tapped button is disabled now: keep keyboard and screen reader users in place.
      try { newest.focus({ preventScroll: true }); } catch (error) { newest.focus(); }
    }
  }

  // -- sending ----------------------------------------------------------------------------

  function queue(message, bubble) {
    message.id = newId();
    outbox.push({ body: message, bubble: bubble });
    pump();
  }

  async function pump() {
    if (sending) return;
    sending = true;
    var delay = 1000;
    while (outbox.length && !stopped) {
      var item = outbox[0];
      var result = null;
      try {
        result = await request('POST', config.api + '/send', item.body, 15000);
      } catch (error) {
        result = null;
      }
      var status = result ? result.status : 0;
      if (status === 401) {
        unauthorised();
        break;
      }
      if (status === 429) { // too fast: the same message again when the server says
        setTrouble('send', false);
        setTrouble('slow', true);
        await sleep(retryAfter(result));
        continue;
      }
      if (status === 200 || (status >= 400 && status < 500 && status !== 408)) {
        // Taken (or refused for good: sending it again cannot help).
        outbox.shift();
        if (item.bubble) item.bubble.classList.remove('pending');
        if (status === 200) worked();
        delay = 1000;
        setTrouble('send', false);
        setTrouble('slow', false);
        continue;
      }
      setTrouble('send', true);
      await sleep(delay);
      delay = backoff(delay);
    }
    sending = false;
  }

  function say(text, label) {
    queue({ text: text }, myMessage(label));
  }

  log.addEventListener('click', function (event) {
    var target = event.target;
    var button = target && target.closest ? target.closest('button.choice') : null;
    if (!button || button.disabled) return;
    var choices = button.parentNode.querySelectorAll('button.choice');
    for (var i = 0; i < choices.length; i++) choices[i].disabled = true;
    button.classList.add('chosen');
    queue({ payload: button.getAttribute('data-payload') }, myMessage(button.textContent));
  });

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) {
      input.focus();
      return;
    }
    input.value = '';
    say(text, text);
  });

  var shortcuts = document.querySelectorAll('.shortcuts button');
  for (var k = 0; k < shortcuts.length; k++) {
    shortcuts[k].addEventListener('click', function (event) {
      var button = event.currentTarget;
      var word = config.commands[button.getAttribute('data-command')];
      if (word) say(word, button.textContent);
    });
  }

  // -- receiving --------------------------------------------------------------------------

  async function fetchMessages(wait) {
    var delay = 1000;
    for (;;) {
      if (stopped) return null;
      var url = config.api + '/messages?after=' + lastSeq + '&wait=' + wait;
      var result = null;
      try {
        result = await request('GET', url, undefined, (wait + 15) * 1000);
      } catch (error) {
        result = null;
      }
      if (result && result.status === 401) {
        unauthorised();
        return null;
      }
      if (result && result.status === 200 && result.data) {
        setTrouble('poll', false);
        worked();
        return result.data;
      }
      if (result && result.status === 429) { // this network asks too often: wait as told
        await sleep(retryAfter(result));
        continue;
      }
      setTrouble('poll', true);
      await sleep(delay);
      delay = backoff(delay);
    }
  }

  async function poll() {
    for (;;) {
      var data = await fetchMessages(POLL_WAIT);
      if (data === null) return;
      show(data, false);
    }
  }

  async function begin() {
    var data = await fetchMessages(0);
    if (data === null) return;
    show(data, true);
    if (config.start !== null) {
      // A lesson link: open it once, then forget it, so that a reload carries on instead.
      queue({ start: config.start }, null);
      if (window.history && window.history.replaceState) {
        window.history.replaceState(null, '', window.location.pathname);
      }
    } else if (data.seq === 0) {
      queue({ start: '' }, null); // a first visit: the greeting and the lessons
    }
    poll();
  }

  if (config.busy !== null) {
    stopped = true;
    notice.textContent = texts.busy;
    notice.hidden = false;
    setTimeout(function () { window.location.reload(); }, config.busy * 1000);
  } else {
    begin();
  }
}());
