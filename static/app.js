// Muster's small amount of browser code: dialogs, toasts and menus. All
// content comes from the server as htmx partials; this only wires behaviour
// that HTML alone lacks.
(function () {
  "use strict";

  // A <dialog> swapped into #dialog-slot opens as a modal at once, with focus
  // on the first field that has an error, else the first field.
  function openDialogs(root) {
    var dialogs = root.matches && root.matches("dialog") ? [root] : root.querySelectorAll ? root.querySelectorAll("dialog") : [];
    dialogs.forEach(function (d) {
      if (d.open || !d.closest("#dialog-slot")) return;
      // The menu item that asked for the dialog has done its job.
      document.querySelectorAll("details.menu[open]").forEach(function (m) { m.removeAttribute("open"); });
      d.showModal();
      raiseToasts(); // toasts shown before the dialog stay on top of it
      var f = d.querySelector("[aria-invalid=true]") || d.querySelector("[autofocus]") || d.querySelector("input:not([type=hidden]), select, textarea");
      if (f) f.focus();
      // Esc and Cancel close the dialog; a closed dialog leaves the page.
      d.addEventListener("close", function () { d.remove(); restoreFocus(); });
    });
  }

  // After an action from a row's menu (or its dialog), keyboard focus goes
  // back to that row's menu, or to the search box when the row is gone,
  // instead of falling back to the top of the page.
  var lastRowId = null;
  function restoreFocus() {
    if (!lastRowId) return;
    setTimeout(function () {
      var a = document.activeElement;
      if (a && a !== document.body && document.contains(a) && !a.closest("dialog")) return;
      if (document.querySelector("#dialog-slot dialog[open]")) return;
      var target = document.querySelector("#" + lastRowId + " .row-menu summary") || document.getElementById("member-search");
      if (target) target.focus();
    }, 0);
  }

  function closeDialogs() {
    document.querySelectorAll("#dialog-slot dialog").forEach(function (d) { d.close(); });
  }

  // The toasts' box is a popover: the browser keeps it in the top layer, so
  // a toast is not hidden behind a modal dialog's backdrop (the Copy
  // button's "Link copied.", an error while a dialog is open). A popover
  // stacks above the dialogs opened before it, so it is shown again after
  // each dialog and before each toast.
  function raiseToasts() {
    var box = document.getElementById("toasts");
    if (!box || !box.showPopover || !box.hasAttribute("popover")) return;
    try {
      if (box.matches(":popover-open")) box.hidePopover();
      box.showPopover();
    } catch (err) { /* a toast behind a dialog beats no toast */ }
  }

  function showToast(kind, message, undo) {
    var box = document.getElementById("toasts");
    if (!box || !message) return;
    raiseToasts();
    var t = document.createElement("div");
    t.className = "toast " + (kind || "info");
    t.setAttribute("role", kind === "error" ? "alert" : "status");
    if (undo && undo.url && window.htmx) {
      var text = document.createElement("span");
      text.className = "toast-message";
      text.textContent = message;
      t.appendChild(text);
      undoable(t, undo);
      box.appendChild(t);
      htmx.process(t); // in the document, so htmx wires the button
      return;
    }
    t.textContent = message;
    box.appendChild(t);
    setTimeout(function () { t.classList.add("leaving"); }, kind === "error" ? 7000 : 4000);
    setTimeout(function () { t.remove(); }, kind === "error" ? 7500 : 4500);
  }

  // A toast with Undo (a deactivation) stays 8 seconds, and as long as the
  // pointer or keyboard focus is on it; Alt+Z (or Tab from the page's end)
  // reaches its button. The button posts the action's audit event, so it
  // undoes that action only, and once (the server checks).
  function undoable(t, undo) {
    t.classList.add("undoable");
    var b = document.createElement("button");
    b.type = "button";
    b.className = "toast-undo";
    b.textContent = "Undo";
    b.setAttribute("hx-post", undo.url);
    b.setAttribute("hx-vals", JSON.stringify({event: undo.event}));
    b.setAttribute("aria-keyshortcuts", "Alt+Z");
    var hint = document.createElement("span");
    hint.className = "visually-hidden";
    hint.textContent = " Alt+Z reaches Undo.";
    t.appendChild(hint);
    t.appendChild(document.createTextNode(" "));
    t.appendChild(b);
    var left = 8000, started = Date.now(), timer = 0, held = 0;
    function go() { started = Date.now(); timer = setTimeout(leave, left); }
    function hold() { if (held++ === 0) { clearTimeout(timer); left = Math.max(left - (Date.now() - started), 2000); } }
    function release() { if (held > 0 && --held === 0) go(); }
    function leave() { t.classList.add("leaving"); setTimeout(function () { t.remove(); }, 500); }
    t.addEventListener("mouseenter", hold);
    t.addEventListener("mouseleave", release);
    t.addEventListener("focusin", hold);
    t.addEventListener("focusout", release);
    b.addEventListener("htmx:beforeRequest", function () { b.disabled = true; });
    b.addEventListener("htmx:afterRequest", function () { clearTimeout(timer); t.remove(); });
    go();
  }
  document.addEventListener("keydown", function (e) {
    if (!e.altKey || e.ctrlKey || e.metaKey || (e.key !== "z" && e.key !== "Z" && e.code !== "KeyZ")) return;
    var undos = document.querySelectorAll("#toasts .toast-undo:not([disabled])");
    if (!undos.length) return;
    e.preventDefault();
    undos[undos.length - 1].focus();
  });

  // A page form sent back with errors (setup, sign-in) puts the cursor where
  // the fixing starts: the first field with an error, or the password after
  // a failed sign-in.
  function focusFirstError() {
    var main = document.getElementById("main");
    if (!main) return;
    var f = main.querySelector("[aria-invalid=true]") || (main.querySelector(".alert.error") && main.querySelector("input[type=password]"));
    if (f) f.focus();
  }

  document.addEventListener("htmx:load", function (e) {
    openDialogs(e.target);
    // A form swapped inside an open dialog (errors, Save and Add Another)
    // gets the same focus as a fresh dialog.
    var dlg = e.target.closest && e.target.closest("dialog[open]");
    if (dlg && e.target.matches("form")) {
      var f = e.target.querySelector("[aria-invalid=true]") || e.target.querySelector("[autofocus]");
      if (f) f.focus();
    }
    if (e.target === document.body || e.target.id === "main") {
      raiseToasts(); // shown from the start, so screen readers know the live region
      focusFirstError();
    }
  });
  document.addEventListener("DOMContentLoaded", function () { raiseToasts(); openDialogs(document); focusFirstError(); });

  document.addEventListener("closeDialog", closeDialogs);
  // An import adds people behind its dialog, and the page's poll finds
  // changes made elsewhere: reload the table for the view the address bar
  // shows now (search, filters, sort, page), not the one the page was
  // first loaded with. Keyboard focus on a row's menu or the pager stays
  // where it was.
  var refocus = null;
  document.addEventListener("membersRefresh", function () {
    if (!document.getElementById("members-results") || !window.htmx) return;
    htmx.ajax("GET", location.pathname + location.search, {target: "#members-results", swap: "innerHTML",
      headers: {"HX-Target": "members-results", "X-Muster-Refresh": "1"}});
  });
  document.addEventListener("htmx:beforeSwap", function (e) {
    var cfg = e.detail.requestConfig;
    if (!cfg || !cfg.headers || !cfg.headers["X-Muster-Refresh"]) return;
    // Someone searched, filtered or paged meanwhile: their view wins, and
    // is reloaded in turn (its answer may predate the change).
    if (cfg.headers["HX-Current-URL"] !== location.href) {
      e.detail.shouldSwap = false;
      setTimeout(function () { document.dispatchEvent(new CustomEvent("membersRefresh")); }, 0);
      return;
    }
    var a = document.activeElement, row = a && a.closest && a.closest("#members-results tr[id]");
    refocus = row && a.matches(".row-menu summary") ? "#" + row.id + " .row-menu summary"
      : a && a.matches && a.matches("#members-results .pager a[rel]") ? '#members-results .pager a[rel="' + a.getAttribute("rel") + '"]' : null;
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (!refocus) return;
    var f = document.querySelector(refocus);
    refocus = null;
    if (f && (document.activeElement === document.body || !document.contains(document.activeElement))) f.focus();
  });

  // The poll for changes made elsewhere (partials/changes_poll). It holds
  // while nobody would see a reload or one would get in the way: the tab
  // hidden, a dialog or menu open, another request under way. Its errors
  // stay quiet (no toast every few seconds); one that will not pass (no
  // permission any more, no workspace) ends it.
  function isPoll(e) {
    var elt = e.detail && e.detail.elt;
    return !!(elt && elt.matches && elt.matches("[data-poll]"));
  }
  document.addEventListener("htmx:beforeRequest", function (e) {
    if (!isPoll(e)) return;
    if (document.visibilityState !== "visible" || document.querySelector("#dialog-slot dialog, details.menu[open], .htmx-request:not([data-poll])")) {
      e.preventDefault();
      return;
    }
    e.detail.elt.setAttribute("data-sent", e.detail.elt.value);
  });
  document.addEventListener("htmx:beforeOnLoad", function (e) {
    if (!isPoll(e)) return;
    var poll = e.detail.elt, xhr = e.detail.xhr;
    if (xhr.status >= 400) {
      e.preventDefault();
      if (xhr.status < 500) poll.remove();
      return;
    }
    // The page's own change, answered while the poll was out, already
    // moved the token to what the poll found: nothing to reload.
    var found = xhr.getResponseHeader("X-Muster-Since");
    if (found && poll.value !== poll.getAttribute("data-sent") && poll.value === found) e.preventDefault();
  });
  // The page's own changes: send its token; when the answer says the change
  // was the only one since, take the token after it, so the poll does not
  // reload what the answer already swapped in.
  document.addEventListener("htmx:configRequest", function (e) {
    var poll = document.getElementById("changes-poll");
    if (poll && e.detail.verb !== "get") e.detail.headers["X-Muster-Since"] = poll.value;
  });
  document.addEventListener("htmx:afterRequest", function (e) {
    var poll = document.getElementById("changes-poll"), xhr = e.detail.xhr, cfg = e.detail.requestConfig;
    if (!poll || isPoll(e) || !xhr || !cfg || !cfg.headers) return;
    var now = xhr.getResponseHeader("X-Muster-Since");
    if (now && cfg.headers["X-Muster-Since"] === poll.value) poll.value = now;
  });
  document.addEventListener("htmx:afterSettle", restoreFocus);
  document.addEventListener("showToast", function (e) { showToast(e.detail.kind, e.detail.message, e.detail.undo); });

  // refreshCSRF takes the CSRF token of a fresh copy of this page (a new
  // sign-in, or a page open for longer than a token lives, leaves the one
  // in <body hx-headers> stale), then calls done.
  function refreshCSRF(done) {
    fetch(location.href, {credentials: "same-origin", headers: {"Accept": "text/html"}}).then(function (r) { return r.text(); }).then(function (html) {
      var fresh = new DOMParser().parseFromString(html, "text/html").body;
      var headers = fresh && fresh.getAttribute("hx-headers");
      if (headers) document.body.setAttribute("hx-headers", headers);
      var token = headers && JSON.parse(headers)["X-Csrf-Token"];
      if (token) document.querySelectorAll("input[name=_csrf]").forEach(function (i) { i.value = token; });
    }).catch(function () {}).then(done);
  }
  // A form sent with a token that expired while the page stayed open: take
  // a fresh one and send the form again, once.
  var csrfRetried = null;
  document.addEventListener("csrfExpired", function (e) {
    var form = e.target.closest && e.target.closest("form[hx-post]");
    if (!form || csrfRetried === form) {
      showToast("error", "This form has expired. Reload the page and try again.");
      return;
    }
    csrfRetried = form;
    refreshCSRF(function () { form.requestSubmit(); });
  });
  document.addEventListener("htmx:afterRequest", function (e) { if (e.detail.successful) csrfRetried = null; });

  // The session ended (it expired, or an admin turned the access off) while
  // the page was open. An open dialog keeps what was typed and says so, with
  // a way to sign in again in a new tab and then to send the form again;
  // with nothing to lose, the page goes to sign in.
  document.addEventListener("sessionEnded", function (e) {
    var dlg = document.querySelector("#dialog-slot dialog[open]");
    if (!dlg) {
      location.href = "/signin?next=" + encodeURIComponent(location.pathname + location.search);
      return;
    }
    var box = dlg.querySelector(".session-ended");
    if (!box) {
      box = document.createElement("div");
      box.className = "alert warning session-ended";
      box.setAttribute("role", "alert");
      var p = document.createElement("p");
      var signin = document.createElement("a");
      signin.href = "/signin?next=" + encodeURIComponent(location.pathname + location.search);
      signin.target = "_blank";
      signin.rel = "noopener";
      signin.className = "btn small";
      signin.textContent = "Sign in again (new tab)";
      var retry = document.createElement("button");
      retry.type = "button";
      retry.className = "btn small primary";
      retry.textContent = "Try again";
      retry.addEventListener("click", function () {
        var form = dlg.querySelector("form[hx-post]");
        box.remove();
        refreshCSRF(function () { if (form) form.requestSubmit(); });
      });
      var actions = document.createElement("div");
      actions.className = "session-ended-actions";
      actions.append(signin, " ", retry);
      box.append(p, actions);
      dlg.insertBefore(box, dlg.querySelector("form") || null);
    }
    box.querySelector("p").textContent = (e.detail && e.detail.message ? e.detail.message + " " : "") +
      "What you typed is still here: sign in again, then press Try again.";
    box.querySelector("a").focus();
  });

  // Errors the server did not explain with a toast of its own (it always
  // sends HX-Trigger for its errors) and network failures still get one.
  document.addEventListener("htmx:responseError", function (e) {
    var xhr = e.detail.xhr;
    // A boosted navigation shows the server's error page instead.
    if (e.detail.boosted || (xhr && xhr.getResponseHeader("HX-Trigger"))) return;
    showToast("error", "Something went wrong (" + (xhr ? xhr.status : "?") + "). Please try again.");
  });
  document.addEventListener("htmx:sendError", function (e) {
    if (isPoll(e)) return; // the next poll tries again
    showToast("error", "Muster could not be reached. Check your connection and try again.");
  });

  // A textarea marked data-enter-submits (the Invite dialog's addresses,
  // where a pasted list keeps its lines) submits its form with Enter as an
  // input would, through the first submit button (Save); Shift+Enter
  // starts a new line.
  document.addEventListener("keydown", function (e) {
    var area = e.target.closest && e.target.closest("textarea[data-enter-submits]");
    if (!area || e.key !== "Enter" || e.shiftKey || e.isComposing) return;
    e.preventDefault();
    if (area.form) area.form.requestSubmit(area.form.querySelector("button[type=submit]"));
  });

  // The Menu button of the top bar on a phone: opens and closes the
  // navigation; Esc closes it and gives focus back to the button.
  document.addEventListener("click", function (e) {
    var toggle = e.target.closest("#nav-toggle");
    if (!toggle) return;
    var open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    toggle.closest(".topbar").classList.toggle("open", open);
  });
  document.addEventListener("keydown", function (e) {
    var toggle = document.getElementById("nav-toggle");
    if (e.key !== "Escape" || !toggle || toggle.getAttribute("aria-expanded") !== "true") return;
    toggle.click();
    toggle.focus();
  });

  document.addEventListener("click", function (e) {
    var copy = e.target.closest("[data-copy]");
    if (copy) {
      var input = document.querySelector(copy.getAttribute("data-copy"));
      input.select();
      // data-copied words the toast for what was copied (a token, a URL).
      var copied = function () { copy.textContent = "Copied"; showToast("success", copy.getAttribute("data-copied") || "Link copied."); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(copied, function () { document.execCommand("copy"); copied(); });
      } else {
        document.execCommand("copy");
        copied();
      }
      return;
    }
    var closer = e.target.closest("[data-close-dialog]");
    if (closer) {
      var d = closer.closest("dialog");
      if (d) d.close();
      return;
    }
    // A menu closes once one of its items is chosen…
    var item = e.target.closest("details.menu [role=menuitem]:not([aria-disabled=true])");
    if (item) {
      item.closest("details.menu").removeAttribute("open");
      var row = item.closest("tr[id]");
      lastRowId = row ? row.id : null;
    }
    // …and when you click elsewhere.
    document.querySelectorAll("details.menu[open]").forEach(function (m) {
      if (!m.contains(e.target)) m.removeAttribute("open");
    });
  });
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape") return;
    document.querySelectorAll("details.menu[open]").forEach(function (m) {
      m.removeAttribute("open");
      var s = m.querySelector("summary");
      if (s) s.focus();
    });
  });

  // Menus follow the WAI-ARIA menu button pattern: opening one puts focus
  // on its first item (and closes any other); Arrow Down and Up move
  // through the items, round the ends; Home and End go to the first and
  // last; Arrow Down or Up on the closed menu's button opens it.
  function menuItems(menu) { return Array.prototype.slice.call(menu.querySelectorAll("[role=menuitem]")); }
  document.addEventListener("toggle", function (e) {
    var menu = e.target;
    if (!menu.matches || !menu.matches("details.menu") || !menu.open) return;
    document.querySelectorAll("details.menu[open]").forEach(function (m) { if (m !== menu) m.removeAttribute("open"); });
    var first = menuItems(menu)[0];
    if (first) first.focus();
  }, true); // toggle does not bubble
  document.addEventListener("keydown", function (e) {
    var menu = e.target.closest && e.target.closest("details.menu");
    if (!menu) return;
    var items = menuItems(menu), i = items.indexOf(document.activeElement);
    if (!menu.open && e.target.matches("summary") && (e.key === "ArrowDown" || e.key === "ArrowUp")) {
      e.preventDefault();
      menu.open = true; // the toggle handler focuses the first item
      return;
    }
    if (i < 0 || !items.length) return;
    var to = {ArrowDown: i + 1, ArrowUp: i - 1, Home: 0, End: items.length - 1}[e.key];
    if (to === undefined) return;
    e.preventDefault();
    items[(to + items.length) % items.length].focus();
  });
  // Bulk selection in the members table. The selection (ids, or "all
  // matching" the view) lives here, so it survives the table's reloads and
  // paging; the bulk bar's form carries it as hidden fields, and its
  // buttons post it (with the filter form's view) to the server. A new
  // view (search, filters) starts a new selection.
  var bulk = {ids: new Map(), all: false, view: null};
  function bulkTable() { return document.getElementById("members-table"); }
  function bulkRender() {
    var bar = document.getElementById("bulk-bar");
    if (!bar) return;
    var table = bulkTable(), total = table ? parseInt(table.getAttribute("data-total"), 10) || 0 : 0;
    var boxes = Array.prototype.slice.call(document.querySelectorAll("#members-rows .row-select"));
    boxes.forEach(function (b) { b.checked = bulk.all || bulk.ids.has(b.value); b.disabled = bulk.all; });
    var page = document.getElementById("select-page");
    var onPage = boxes.filter(function (b) { return b.checked; }).length;
    if (page) {
      page.checked = boxes.length > 0 && onPage === boxes.length;
      page.indeterminate = onPage > 0 && onPage < boxes.length;
    }
    var ids = document.getElementById("bulk-ids");
    ids.textContent = "";
    if (!bulk.all) bulk.ids.forEach(function (_, id) {
      var i = document.createElement("input");
      i.type = "hidden"; i.name = "id"; i.value = id;
      ids.appendChild(i);
    });
    document.getElementById("bulk-all").value = bulk.all ? "1" : "";
    var n = bulk.all ? total : bulk.ids.size;
    var text = bulk.all ? "All " + n.toLocaleString("en-US") + " matching selected" : n.toLocaleString("en-US") + " selected";
    var shown = bulk.all || bulk.ids.size > 0;
    var count = document.getElementById("bulk-count");
    var changed = count.textContent !== text || bar.hidden === shown;
    count.textContent = text;
    bar.hidden = !shown;
    var more = document.getElementById("bulk-select-all");
    more.hidden = bulk.all || !(page && page.checked) || total <= bulk.ids.size;
    document.getElementById("bulk-total").textContent = total.toLocaleString("en-US");
    var say = document.getElementById("bulk-announce");
    if (say && changed) say.textContent = shown ? text + ". Bulk actions are above the table." : "Selection cleared.";
  }
  function bulkReset() { bulk.ids.clear(); bulk.all = false; bulkRender(); }
  document.addEventListener("change", function (e) {
    var t = e.target;
    if (t.matches && t.matches("#members-rows .row-select")) {
      if (t.checked) bulk.ids.set(t.value, true); else bulk.ids.delete(t.value);
      bulkRender();
    } else if (t.id === "select-page") {
      document.querySelectorAll("#members-rows .row-select").forEach(function (b) {
        if (t.checked) bulk.ids.set(b.value, true); else bulk.ids.delete(b.value);
      });
      if (!t.checked) bulk.all = false;
      bulkRender();
    }
  });
  document.addEventListener("click", function (e) {
    var t = e.target.closest && e.target.closest("#bulk-select-all, #bulk-clear");
    if (!t) return;
    if (t.id === "bulk-clear") { bulkReset(); document.getElementById("select-page")?.focus(); return; }
    bulk.all = true;
    bulkRender();
    document.getElementById("bulk-clear").focus();
  });
  // After the results reload: keep the selection for the same view.
  document.addEventListener("htmx:afterSettle", function () {
    var table = bulkTable();
    if (!document.getElementById("bulk-bar")) return;
    var view = table ? table.getAttribute("data-view") : null;
    if (view !== null && bulk.view !== null && view !== bulk.view) { bulk.ids.clear(); bulk.all = false; }
    if (view !== null) bulk.view = view;
    bulkRender();
  });
  document.addEventListener("DOMContentLoaded", function () {
    var table = bulkTable();
    if (table) bulk.view = table.getAttribute("data-view");
    bulkRender();
  });
  document.addEventListener("bulkDone", bulkReset);
})();
