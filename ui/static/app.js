/* app.js - pushgateway-c web UI: filter, local and relative times, delete buttons.
 * The page is rendered by the server and works without this script; nothing here loads
 * anything from elsewhere. Plain ES5 so that old browsers on air-gapped hosts cope. */
(function () {
  'use strict';

  var doc = document;
  doc.documentElement.className += ' has-js';

  function $(id) { return doc.getElementById(id); }

  function closest(el, sel) {
    for (; el && el.nodeType === 1; el = el.parentNode) {
      if ((el.matches || el.msMatchesSelector).call(el, sel)) return el;
    }
    return null;
  }

  /* ----- times: data-t is Unix milliseconds; the server text (RFC 3339) becomes the title */

  function pad(n) { return (n < 10 ? '0' : '') + n; }

  function localTime(d) {
    var off = -d.getTimezoneOffset(), sign = off < 0 ? '-' : '+';
    off = Math.abs(off);
    return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' +
      pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds()) +
      ' UTC' + sign + pad(Math.floor(off / 60)) + ':' + pad(off % 60);
  }

  function span(s) {
    if (s < 60) return s + ' s';
    var m = Math.floor(s / 60);
    if (m < 60) return m + ' min';
    var h = Math.floor(m / 60);
    if (h < 48) return h + ' h ' + (m % 60) + ' min';
    return Math.floor(h / 24) + ' days';
  }

  function ago(ms, now) {
    var s = Math.round((now - ms) / 1000);
    if (s < -5) return 'in the future';
    if (s < 5) return 'just now';
    return span(s) + ' ago';
  }

  /* Expiry times (class "e"): how long until the group is deleted. */
  function until(ms, now) {
    var s = Math.round((ms - now) / 1000);
    if (s > 0) return 'in ' + span(s);
    return s > -2 ? 'now' : 'expired (reload the page)';
  }

  function hasClass(el, c) { return new RegExp('(^| )' + c + '( |$)').test(el.className); }

  function renderTime(el, now) {
    var ms = +el.getAttribute('data-t');
    var rel = hasClass(el, 'e') ? until(ms, now) : ago(ms, now);
    if (!el.title) el.title = el.textContent;
    if (hasClass(el, 'r')) {
      el.textContent = rel;
    } else {
      el.textContent = localTime(new Date(ms)) + ' (' + rel + ')';
    }
  }

  function renderList(list) {
    var now = Date.now(), i;
    for (i = 0; i < list.length; i++) renderTime(list[i], now);
  }

  /* Summaries always; the body of a group only while it is open (10k groups stay cheap). */
  function renderTimes() {
    renderList(doc.querySelectorAll('summary time[data-t], details[open] > .gbody time[data-t], ' +
      '#status time[data-t]'));
  }

  /* ----- groups, counter and messages */

  var groupsBox = $('groups');
  var countEl = $('count');
  var filterEl = $('filter');
  var index = null; /* lower-case search text per group, built on first use */

  function groups() { return groupsBox ? groupsBox.querySelectorAll('details.group') : []; }

  function labelText(g) {
    var b = g.querySelectorAll('summary .b'), out = [], i;
    for (i = 0; i < b.length; i++) out.push(b[i].textContent);
    return out.join(', ');
  }

  function updateCount() {
    if (!countEl) return;
    var all = groups(), shown = 0, i;
    for (i = 0; i < all.length; i++) if (!all[i].hidden) shown++;
    var word = all.length === 1 ? ' group' : ' groups';
    countEl.textContent = shown === all.length ? all.length + word
      : shown + ' of ' + all.length + word;
    $('empty').hidden = all.length !== 0;
    $('nomatch').hidden = all.length === 0 || shown !== 0;
  }

  var msgTimer = null;
  function message(text, isError) {
    var m = $('msg');
    if (!m) { if (isError) alert(text); return; }
    m.textContent = text;
    m.className = isError ? 'error' : '';
    m.hidden = false;
    clearTimeout(msgTimer);
    if (!isError) msgTimer = setTimeout(function () { m.hidden = true; }, 6000);
  }

  /* ----- filter: every whitespace-separated term must occur in the group's labels
   * (name=value, quotes optional) or in one of its metric names */

  function buildIndex() {
    var all = groups(), i;
    index = [];
    for (i = 0; i < all.length; i++) {
      index.push({ el: all[i], text: ' ' + all[i].getAttribute('data-s').toLowerCase() });
    }
  }

  function applyFilter() {
    var terms = filterEl.value.toLowerCase().replace(/"/g, '').split(/\s+/), i, k;
    terms = terms.filter(function (t) { return t !== ''; });
    if (!index) buildIndex();
    for (i = 0; i < index.length; i++) {
      var ok = true;
      for (k = 0; k < terms.length && ok; k++) ok = index[i].text.indexOf(terms[k]) >= 0;
      if (index[i].el.hidden === ok) index[i].el.hidden = !ok;
    }
    updateCount();
  }

  if (filterEl) {
    var filterTimer = null;
    filterEl.addEventListener('input', function () {
      clearTimeout(filterTimer);
      filterTimer = setTimeout(applyFilter, index && index.length > 2000 ? 150 : 0);
    });
    filterEl.addEventListener('keydown', function (e) {
      if (e.key === 'Escape' || e.keyCode === 27) { filterEl.value = ''; applyFilter(); }
    });
    if (filterEl.value) applyFilter(); /* kept by the browser across a reload */
  }

  /* ----- requests: relative URLs, so a route prefix or a reverse proxy path just works */

  function send(method, url, done) {
    var x = new XMLHttpRequest();
    x.open(method, url);
    x.onload = function () { done(x.status, x.responseText); };
    x.onerror = function () { done(0, 'network error'); };
    x.send();
  }

  /* Large stores: a card holds a link to its one-group view; load that view's body in place. */
  function loadBody(g) {
    var lazy = g.querySelector('.gbody.lazy');
    if (!lazy || lazy.getAttribute('data-loading')) return;
    lazy.setAttribute('data-loading', '1');
    var link = lazy.querySelector('a');
    link.textContent = 'Loading\u2026';
    send('GET', link.getAttribute('href'), function (status, body) {
      var d = status === 200 ? new DOMParser().parseFromString(body, 'text/html') : null;
      var fresh = d && d.querySelector('details.group .gbody');
      if (!fresh) {
        lazy.removeAttribute('data-loading');
        link.textContent = status === 404 ? 'This group does not exist any more (reload the page).'
          : 'Loading failed (' + status + '): try again';
        return;
      }
      fresh = doc.importNode(fresh, true);
      lazy.parentNode.replaceChild(fresh, lazy);
      renderList(fresh.querySelectorAll('time[data-t]'));
    });
  }

  function deleteGroup(btn) {
    var g = closest(btn, 'details.group'), what = labelText(g);
    if (!confirm('Delete the group ' + what + ' and all its metrics?')) return;
    btn.disabled = true;
    send('DELETE', 'metrics/' + g.getAttribute('data-g'), function (status, body) {
      if (status >= 200 && status < 300) {
        g.parentNode.removeChild(g);
        index = null;
        if (filterEl && filterEl.value) applyFilter(); else updateCount();
        message('Deleted the group ' + what + '.');
      } else {
        btn.disabled = false;
        message('Deleting the group ' + what + ' failed: ' + (status || '') + ' ' + body, true);
      }
    });
  }

  function wipe(btn) {
    if (!confirm('Delete ALL groups and every metric pushed to this Pushgateway?')) return;
    btn.disabled = true;
    send('PUT', 'api/v1/admin/wipe', function (status, body) {
      if (status >= 200 && status < 300) {
        var all = groups(), i;
        for (i = all.length - 1; i >= 0; i--) all[i].parentNode.removeChild(all[i]);
        index = null;
        updateCount();
        message('Deleted all groups.');
      } else {
        message('Deleting all groups failed: ' + (status || '') + ' ' + body, true);
      }
      btn.disabled = false;
    });
  }

  var EXPAND_MAX = 200;
  function setOpen(open) {
    var all = groups(), shown = [], i;
    for (i = 0; i < all.length; i++) if (!all[i].hidden) shown.push(all[i]);
    if (open && shown.length > EXPAND_MAX && groupsBox.querySelector('.gbody.lazy')) {
      message('Narrow the filter to ' + EXPAND_MAX + ' groups or fewer to expand them all (' +
        shown.length + ' shown).', true);
      return;
    }
    for (i = 0; i < shown.length; i++) shown[i].open = open;
  }

  doc.addEventListener('click', function (e) {
    var btn = closest(e.target, 'button[data-act]');
    if (!btn) return;
    e.preventDefault();
    var act = btn.getAttribute('data-act');
    if (act === 'del') deleteGroup(btn);
    else if (act === 'wipe') wipe(btn);
    else if (act === 'expand') setOpen(true);
    else if (act === 'collapse') setOpen(false);
  });

  /* A group being opened gets its times rendered (toggle does not bubble: capture it). */
  doc.addEventListener('toggle', function (e) {
    var g = e.target;
    if (g && g.open && /(^| )group( |$)/.test(g.className)) {
      loadBody(g);
      renderList(g.querySelectorAll('.gbody time[data-t]'));
    }
  }, true);

  renderTimes();
  setInterval(renderTimes, 30000);
  /* Expiry countdowns of the cards (groups with a TTL) tick every second. */
  var expiring = doc.querySelectorAll('summary time.e');
  if (expiring.length > 0 && expiring.length <= 2000) {
    setInterval(function () { renderList(expiring); }, 1000);
  }
  updateCount();
})();
