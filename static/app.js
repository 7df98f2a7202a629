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

  function showToast(kind, message) {
    var box = document.getElementById("toasts");
    if (!box || !message) return;
    raiseToasts();
    var t = document.createElement("div");
    t.className = "toast " + (kind || "info");
    t.setAttribute("role", kind === "error" ? "alert" : "status");
    t.textContent = message;
    box.appendChild(t);
    setTimeout(function () { t.classList.add("leaving"); }, kind === "error" ? 7000 : 4000);
    setTimeout(function () { t.remove(); }, kind === "error" ? 7500 : 4500);
  }

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
  // An import adds people behind its dialog: reload the table for the view
  // the address bar shows now (search, filters, page), not the one the page
  // was first loaded with.
  document.addEventListener("membersRefresh", function () {
    if (!document.getElementById("members-results") || !window.htmx) return;
    htmx.ajax("GET", location.pathname + location.search, {target: "#members-results", swap: "innerHTML", headers: {"HX-Target": "members-results"}});
  });
  document.addEventListener("htmx:afterSettle", restoreFocus);
  document.addEventListener("showToast", function (e) { showToast(e.detail.kind, e.detail.message); });

  // Errors the server did not explain with a toast of its own (it always
  // sends HX-Trigger for its errors) and network failures still get one.
  document.addEventListener("htmx:responseError", function (e) {
    var xhr = e.detail.xhr;
    // A boosted navigation shows the server's error page instead.
    if (e.detail.boosted || (xhr && xhr.getResponseHeader("HX-Trigger"))) return;
    showToast("error", "Something went wrong (" + (xhr ? xhr.status : "?") + "). Please try again.");
  });
  document.addEventListener("htmx:sendError", function () {
    showToast("error", "Muster could not be reached. Check your connection and try again.");
  });

  document.addEventListener("click", function (e) {
    var copy = e.target.closest("[data-copy]");
    if (copy) {
      var input = document.querySelector(copy.getAttribute("data-copy"));
      input.select();
      var copied = function () { copy.textContent = "Copied"; showToast("success", "Link copied."); };
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
    var item = e.target.closest("details.menu [role=menuitem]");
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
})();
