// The verification page: missed-call verification against the appverify
// endpoints of this nginx (/appverify/call, /appverify/finalize,
// /appverify/status), plus the demo's simulated phone (/sim/calls).
// Plain JS, no build step, no libraries.
(function () {
  'use strict';

  var $ = function (id) { return document.getElementById(id); };

  // What the edge's reason codes mean to a person.
  var MESSAGES = {
    missing_phone: 'Enter your phone number.',
    invalid_phone: "That number doesn't look right. Enter it without the country code, digits only.",
    invalid_country_code: "That isn't a country code we know. Check the digits after the +.",
    duplicate_request: "We're already calling this number. Wait for the call, or try again in a minute.",
    rate_limited: "We've called this number too often. Please wait a minute before asking for another call.",
    upstream_unavailable: "Our verification service can't be reached right now. Nothing was used up: please try again in a moment.",
    store_full: 'We are very busy right now. Please try again in a few minutes.',
    invalid_code: 'Enter all five digits of the code.',
    no_credential: 'Your verification session has ended. Please start over.',
    bad_credential: 'Your verification session has ended. Please start over.',
    expired_credential: 'Your verification session has expired. Please start over.',
    unknown_session: 'Your verification session has expired. Please start over.',
    blocked: "This phone number can't be verified.",
    failed: 'This verification has ended. Please start over to get a new call.'
  };
  var NETWORK = "We couldn't reach the server. Check your connection and try again.";
  var FIELD_OF = { invalid_country_code: 'country-code', invalid_phone: 'phone-number',
                   missing_phone: 'phone-number' };

  function human(res) {
    if (res.status === 0) return NETWORK;
    var reason = res.data && res.data.error;
    if (reason && MESSAGES[reason]) return MESSAGES[reason];
    if (res.status === 429) return MESSAGES.rate_limited;
    if (res.status >= 500) return MESSAGES.upstream_unavailable;
    return 'Something went wrong (error ' + res.status + '). Please try again.';
  }

  // --- talking to the edge -------------------------------------------------

  function request(method, path, fields) {
    var opts = { method: method, credentials: 'same-origin', cache: 'no-store',
                 headers: { 'Accept': 'application/json' } };
    if (fields) {
      opts.headers['Content-Type'] = 'application/x-www-form-urlencoded';
      opts.body = new URLSearchParams(fields).toString();
    }
    return fetch(path, opts).then(function (r) {
      return r.text().then(function (t) {
        var data = null;
        try { data = JSON.parse(t); } catch (e) { /* not JSON: an nginx error page */ }
        return { status: r.status, data: data };
      });
    }, function () { return { status: 0, data: null }; });
  }

  // --- state and screens ---------------------------------------------------

  var state = { cc: '', phone: '', prefix: '', attemptsLeft: null };

  var STEP_TEXT = { '1': 'Step 1 of 3', '2': 'Step 2 of 3', '3': 'Step 3 of 3' };
  var TITLES = { 'screen-phone': 'Verify your phone', 'screen-call': "Don't answer the call",
                 'screen-code': 'Enter the code', 'screen-done': 'Phone verified',
                 'screen-failed': 'Verification failed' };

  function show(id) {
    var screens = document.querySelectorAll('.screen');
    for (var i = 0; i < screens.length; i++) screens[i].hidden = screens[i].id !== id;
    var screen = $(id);
    var step = STEP_TEXT[screen.getAttribute('data-step')];
    $('steps').textContent = step || '';
    $('steps').hidden = !step;
    document.title = TITLES[id] + ' · Example Co.';
    document.body.setAttribute('data-screen', id);
    var h = screen.querySelector('h1');
    if (h) h.focus();
  }

  function busy(button, on, label) {
    if (on) {
      button.setAttribute('data-label', button.textContent);
      button.textContent = label;
      button.disabled = true;
    } else {
      button.textContent = button.getAttribute('data-label') || button.textContent;
      button.disabled = false;
    }
  }

  function setText(id, text) { $(id).textContent = text || ''; }

  function formatPhone(digits) {
    // "+CC rest" when the number starts with the country code entered
    if (state.cc && digits.indexOf(state.cc) === 0)
      return '+' + state.cc + ' ' + digits.slice(state.cc.length);
    return '+' + digits;
  }

  // --- screen 1: the phone number ------------------------------------------

  // Digits only: whatever is typed or pasted, only 0-9 stays.
  function digitsOnly(input) {
    input.addEventListener('input', function () {
      var clean = input.value.replace(/\D+/g, '');
      if (clean !== input.value) input.value = clean;
    });
  }
  digitsOnly($('country-code'));
  digitsOnly($('phone-number'));

  function fieldError(field, text) {
    var input = $(field), err = $(field + '-error');
    err.textContent = text || '';
    if (text) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  }

  function clearPhoneErrors() {
    fieldError('country-code', '');
    fieldError('phone-number', '');
    setText('phone-alert', '');
  }

  function startCall() {
    return request('POST', '/appverify/call',
                   { country_code: state.cc, phone_number: state.national })
      .then(function (res) {
        if (res.status === 200 && res.data && res.data.prefix) {
          state.prefix = res.data.prefix;
          state.attemptsLeft = null;
          return request('GET', '/appverify/status').then(function (st) {
            state.phone = (st.data && st.data.phone) || (state.cc + state.national);
            phone.watch(state.phone);
            return { ok: true };
          });
        }
        return { ok: false, res: res };
      });
  }

  function showCallScreen() {
    setText('call-phone', formatPhone(state.phone));
    setText('call-prefix', formatPrefix(state.prefix));
    setText('call-alert', '');
    setText('call-status', '');
    show('screen-call');
  }

  $('phone-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    clearPhoneErrors();
    var cc = $('country-code').value, national = $('phone-number').value;
    if (!cc) { fieldError('country-code', 'Enter your country code.'); $('country-code').focus(); return; }
    if (!national) { fieldError('phone-number', MESSAGES.missing_phone); $('phone-number').focus(); return; }
    state.cc = cc;
    state.national = national;
    var button = $('phone-next');
    busy(button, true, 'Calling…');
    startCall().then(function (r) {
      busy(button, false);
      if (r.ok) { showCallScreen(); return; }
      var reason = r.res.data && r.res.data.error, field = FIELD_OF[reason];
      if (field) { fieldError(field, human(r.res)); $(field).focus(); }
      else setText('phone-alert', human(r.res));
    });
  });

  // --- screen 2: the call is coming ----------------------------------------

  function formatPrefix(prefix) {
    if (state.cc && prefix.indexOf(state.cc) === 0 && prefix.length > state.cc.length)
      return '+' + state.cc + ' ' + prefix.slice(state.cc.length);
    return '+' + prefix;
  }

  // "Call me again": tell the edge the first call never came (this ends
  // that verification), then ask for a new call.
  $('call-retry').addEventListener('click', function () {
    var button = $('call-retry');
    setText('call-alert', '');
    setText('call-status', '');
    busy(button, true, 'Calling again…');
    request('POST', '/appverify/finalize', { timeout: '1' }).then(function (fin) {
      if (fin.status === 503 || fin.status === 0) return { ok: false, res: fin };
      return startCall();
    }).then(function (r) {
      busy(button, false);
      if (r.ok) {
        setText('call-prefix', formatPrefix(state.prefix));
        setText('call-status', "We're calling you again. Don't answer this call either.");
      } else {
        setText('call-alert', human(r.res));
      }
    });
  });

  $('call-continue').addEventListener('click', function () {
    setText('code-prefix', formatPrefix(state.prefix));
    setText('code-alert', '');
    setText('code-status', '');
    clearDigits();
    show('screen-code');
    digits[0].focus();
  });

  // --- screen 3: the code ----------------------------------------------------

  var digits = Array.prototype.slice.call(document.querySelectorAll('input.digit'));

  function clearDigits() { digits.forEach(function (d) { d.value = ''; d.removeAttribute('aria-invalid'); }); }
  function code() { return digits.map(function (d) { return d.value; }).join(''); }

  // Spread typed or pasted digits over the boxes from box i on.
  function fill(i, text) {
    var ds = text.replace(/\D+/g, '').split('');
    for (var k = 0; k < ds.length && i + k < digits.length; k++) digits[i + k].value = ds[k];
    var next = Math.min(i + Math.max(ds.length, 0), digits.length - 1);
    if (ds.length) digits[next].focus();
  }

  digits.forEach(function (box, i) {
    box.addEventListener('input', function () {
      var v = box.value;
      box.value = '';
      if (v.replace(/\D+/g, '') === '') return;
      fill(i, v);
    });
    box.addEventListener('keydown', function (ev) {
      if (ev.key === 'Backspace' && box.value === '' && i > 0) {
        digits[i - 1].value = '';
        digits[i - 1].focus();
        ev.preventDefault();
      } else if (ev.key === 'ArrowLeft' && i > 0) {
        digits[i - 1].focus();
      } else if (ev.key === 'ArrowRight' && i < digits.length - 1) {
        digits[i + 1].focus();
      }
    });
    box.addEventListener('paste', function (ev) {
      var text = (ev.clipboardData || window.clipboardData).getData('text');
      ev.preventDefault();
      fill(i, text);
    });
    box.addEventListener('focus', function () { box.select(); });
  });

  function failed(message) {
    setText('failed-message', message);
    show('screen-failed');
  }

  $('code-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    setText('code-alert', '');
    setText('code-status', '');
    var c = code();
    if (!/^\d{5}$/.test(c)) {
      setText('code-alert', MESSAGES.invalid_code);
      digits[c.length < 5 ? c.length : 0].focus();
      return;
    }
    var button = $('code-verify');
    busy(button, true, 'Checking…');
    request('POST', '/appverify/finalize', { code: c }).then(function (res) {
      busy(button, false);
      var d = res.data || {};
      if (res.status === 200 && d.verified) {
        setText('done-phone', formatPhone(state.phone));
        show('screen-done');
        return;
      }
      if ((res.status === 200 || res.status === 403) && 'attempts_left' in d) {
        if (res.status === 200 && d.attempts_left > 0) {
          state.attemptsLeft = d.attempts_left;
          setText('code-alert', "That code doesn't match the missed call. Check the last five digits " +
                  'of the number that called you. ' + d.attempts_left +
                  (d.attempts_left === 1 ? ' attempt' : ' attempts') + ' left.');
          digits.forEach(function (b) { b.setAttribute('aria-invalid', 'true'); });
          digits[0].focus();
          return;
        }
        if (d.state === 'blocked') { failed(MESSAGES.blocked); return; }
        failed(state.attemptsLeft !== null || d.status && d.status.code === 2402
               ? "That was the last attempt: the code didn't match. For your security this " +
                 'verification has ended. Start over to get a new call.'
               : MESSAGES.failed);
        return;
      }
      if (res.status === 401) { failed(human(res)); return; }
      setText('code-alert', human(res));
    });
  });

  $('code-back').addEventListener('click', showCallScreen);

  $('failed-restart').addEventListener('click', function () {
    clearPhoneErrors();
    clearDigits();
    show('screen-phone');
  });

  // --- the simulated phone -----------------------------------------------------

  var phone = (function () {
    var number = null, timer = null, seen = {}, incomingTimer = null;

    function clock() {
      var d = new Date();
      $('phone-clock').textContent = d.getHours() + ':' + String(d.getMinutes()).padStart(2, '0');
    }
    clock();
    setInterval(clock, 15000);

    function ring(from) {
      $('incoming-from').textContent = formatPhone(from);
      $('incoming').hidden = false;
      clearTimeout(incomingTimer);
      incomingTimer = setTimeout(function () { $('incoming').hidden = true; }, 2500);
    }

    var shown = '';

    function render(calls) {
      var list = $('calls');
      calls.sort(function (a, b) { return a.time < b.time ? 1 : a.time > b.time ? -1 : 0; });
      // redraw (and so announce, the list being aria-live) only when it changed
      var key = calls.map(function (c) { return c.reference_id; }).join(',');
      if (key === shown) return;
      shown = key;
      var fresh = null;
      list.textContent = '';
      calls.forEach(function (c) {
        var li = document.createElement('li');
        var isNew = !seen[c.reference_id];
        seen[c.reference_id] = true;
        if (isNew) {
          li.className = 'new';
          // a call placed in the last half minute still rings when first seen
          if (!fresh && Date.now() - Date.parse(c.time) < 30000) fresh = c;
        }
        li.setAttribute('data-from', c.from);
        var icon = document.createElement('span');
        icon.className = 'icon';
        icon.setAttribute('aria-hidden', 'true');
        icon.textContent = '↙';
        var from = document.createElement('span');
        from.className = 'from mono';
        from.textContent = formatPhone(c.from);
        var meta = document.createElement('span');
        meta.className = 'meta';
        var t = new Date(c.time);
        meta.textContent = 'Missed call · ' + t.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
        li.appendChild(icon); li.appendChild(from); li.appendChild(meta);
        list.appendChild(li);
      });
      if (fresh) ring(fresh.from);
    }

    function poll() {
      if (!number) return;
      request('GET', '/sim/calls?phone=' + encodeURIComponent(number)).then(function (res) {
        if (res.status === 200 && Array.isArray(res.data)) {
          $('phone-owner').textContent = 'Calls to ' + formatPhone(number);
          render(res.data);
        } else {
          $('phone-owner').textContent = 'The simulated phone is out of reach right now.';
        }
      });
    }

    return {
      watch: function (n) {
        if (n !== number) { number = n; seen = {}; shown = ''; $('calls').textContent = ''; }
        $('phone-owner').textContent = 'Calls to ' + formatPhone(number);
        poll();
        if (!timer) timer = setInterval(poll, 1000);
      }
    };
  })();

  show('screen-phone');
  $('phone-number').focus();
})();
