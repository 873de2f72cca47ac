// pxStats static pages: pop-up windows, descriptions, language switch. Loaded as a file (the
// pages allow no inline script); descriptions come from a JSON block and are shown as text.
"use strict";
(function () {
  function popup(event) {
    var link = event.currentTarget;
    var width = parseInt(link.dataset.width, 10) || 875;
    var height = parseInt(link.dataset.height, 10) || 240;
    var opened = window.open(link.href, link.target || "popup",
      "width=" + (width + 32) + ",height=" + (height + 96) + ",toolbar=no,scrollbars=no");
    if (opened) { event.preventDefault(); }
  }
  function describe(event) {
    event.preventDefault();
    var data = JSON.parse(document.getElementById("descriptions").textContent || "{}");
    var item = data[event.currentTarget.dataset.row];
    var dialog = document.getElementById("description");
    if (!item || !dialog) { return; }
    document.getElementById("description-title").textContent = item.title;
    document.getElementById("description-text").textContent = item.lines.join("\n");
    dialog.showModal();
  }
  function switchLanguage(event) {
    var target = event.currentTarget.value;
    var last = sessionStorage.getItem("pxstatsLastLink") || "";
    window.location.href = target + (/^href[0-9]+$/.test(last) ? "?lastLinkClicked=" + last : "");
  }
  function reopenLast() {
    var match = /[?&]lastLinkClicked=(href[0-9]+)$/.exec(window.location.search);
    if (!match) { return; }
    var link = document.getElementById(match[1]);
    if (link && window.parent && window.parent.frames.bottom) {
      window.parent.frames.bottom.location.href = link.href;
    }
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("a.popup").forEach(function (a) { a.addEventListener("click", popup); });
    document.querySelectorAll("a.describe").forEach(function (a) { a.addEventListener("click", describe); });
    document.querySelectorAll("body.top a[id^=href]").forEach(function (a) {
      a.addEventListener("click", function () { sessionStorage.setItem("pxstatsLastLink", a.id); });
    });
    var select = document.getElementById("language");
    if (select) { select.addEventListener("change", switchLanguage); reopenLast(); }
  });
})();
