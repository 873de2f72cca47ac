// pxStats graphics request page. Values are sent by POST (URL-encoded) to the broker; its
// reply is "images=<a+b>;error=<text>[;action=<name>]". All texts are set with textContent.
"use strict";
(function () {
  var data, t, images = [], index = 0, panels = 1;
  function $(id) { return document.getElementById(id); }
  function option(select, text, value) {
    var o = document.createElement("option");
    o.textContent = text;
    o.value = value === undefined ? text : value;
    select.appendChild(o);
    return o;
  }
  function status(text, isError) {
    $("status").textContent = text;
    $("status").className = isError ? "error" : "";
  }
  function fileType() { return $("fileType").value; }
  function refreshTypes() {
    var select = $("statsTypes");
    select.textContent = "";
    option(select, t.stats_placeholder, "");
    (data.choices.stats_types[fileType() || "rx"] || []).forEach(function (c) { option(select, c); });
  }
  function refreshNamesPart() {
    var ft = fileType() || "tx";
    $("namesLabel").textContent = t.names[ft];
    $("addNames").textContent = t.add[ft];
    $("deleteNames").textContent = t["delete"][ft];
    $("sourLients").textContent = "";
    var ready = fileType() !== "" && $("machines").value !== "";
    $("addNames").disabled = !ready;
    $("deleteNames").disabled = !ready;
  }
  function refreshFixed() {
    var texts = t.fixed_texts[periodKey()] || t.fixed_texts[""];
    var select = $("fixedSpan");
    select.textContent = "";
    texts.forEach(function (text, i) { option(select, text, i === 0 && periodKey() === "" ? "" : text); });
    var determined = $("preDeterminedSpan").value !== "";
    $("span").disabled = determined;
    $("products").disabled = determined && periodKey() !== "daily";
  }
  function periodKey() {
    var i = $("preDeterminedSpan").selectedIndex;
    return ["", "daily", "weekly", "monthly", "yearly"][i] || "";
  }
  function openChooser() {
    var url = "popupSourlientAdder.py?" + new URLSearchParams({
      fileType: fileType(), machines: $("machines").value, lang: data.lang });
    fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (found) {
      var available = $("available");
      available.textContent = "";
      $("chosen").textContent = "";
      [[t.groups, found.groups], [fileType() === "tx" ? t.tx_clients : t.rx_sources, found.names]].forEach(function (part) {
        if (!part[1].length) { return; }
        var group = document.createElement("optgroup");
        group.label = part[0];
        part[1].forEach(function (name) { option(group, name); });
        available.appendChild(group);
      });
      $("chooser").showModal();
    }).catch(function () { status(t.server_error, true); });
  }
  function move(from, to) {
    Array.prototype.slice.call(from.selectedOptions).forEach(function (o) {
      if (o.parentNode.tagName === "OPTGROUP" && from.id === "available") { option(to, o.value); }
      else if (from.id === "chosen") { o.remove(); }
    });
  }
  function chooserDone() {
    var list = $("sourLients");
    var present = Array.prototype.map.call(list.options, function (o) { return o.value; });
    Array.prototype.forEach.call($("chosen").options, function (o) {
      if (present.indexOf(o.value) < 0) { option(list, o.value); }
    });
    $("chooser").close();
  }
  function advancedShown() { return !$("advanced").classList.contains("hidden"); }
  function check() {
    if (!fileType()) { return t.check_filetype; }
    if (!$("machines").value) { return t.check_machines; }
    if (!$("statsTypes").value) { return t.check_types; }
    if ($("fixedSpan").selectedIndex > 0 && periodKey() === "") { return t.check_fixed; }
    if (!$("sourLients").options.length) { return t.check_names; }
    if (advancedShown()) {
      var span = $("span").value.trim();
      if (span && !$("span").disabled) {
        if (!/^[0-9]+$/.test(span) || +span < 1 || +span > 50000) { return t.check_span; }
      } else if (periodKey() === "") { return t.check_determined; }
    } else if (periodKey() === "") { return t.check_determined; }
    return "";
  }
  function show() {
    var result = $("result");
    if (!images.length) { result.style.backgroundImage = ""; $("showing").textContent = ""; return; }
    if (images.length === 1) {
      result.style.backgroundImage = "url(\"" + images[0] + "\")";
      result.style.backgroundPosition = "0px " + (-index * data.panel_pitch) + "px";
      $("showing").textContent = t.showing.replace("{i}", index + 1).replace("{n}", panels);
    } else {
      result.style.backgroundImage = "url(\"" + images[index] + "\")";
      result.style.backgroundPosition = "0px 0px";
      $("showing").textContent = t.showing.replace("{i}", index + 1).replace("{n}", images.length);
    }
  }
  function step(delta) {
    var count = images.length === 1 ? panels : images.length;
    if (!count) { return; }
    index = (index + delta + count) % count;
    show();
  }
  function post(script, fields) {
    return fetch(script, { method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(fields).toString() }).then(function (r) { return r.text(); });
  }
  function parseReply(text) {
    var reply = { images: [], error: "", action: "" };
    text.trim().split(";").forEach(function (field) {
      var eq = field.indexOf("=");
      if (eq < 0) { return; }
      var key = field.slice(0, eq), value = field.slice(eq + 1);
      if (key === "images") { reply.images = value && value !== "''" && value !== "\"\"" ? value.split("+") : []; }
      else if (key === "error") { reply.error = value; }
      else if (key === "action") { reply.action = value; }
    });
    return reply;
  }
  function generate() {
    var problem = check();
    if (problem) { status(problem, true); return; }
    var names = Array.prototype.map.call($("sourLients").options, function (o) { return o.value; });
    var advanced = advancedShown();
    var fields = {
      lang: data.lang, fileType: fileType(), machines: $("machines").value,
      statsTypes: $("statsTypes").value, preDeterminedSpan: periodKey() ? $("preDeterminedSpan").value : "",
      fixedSpan: $("fixedSpan").value, sourLients: names.join(","),
      combineSourlients: advanced && $("combineSourlients").checked ? "true" : "false",
      endTime: advanced ? $("endTime").value : "",
      span: advanced && !$("span").disabled ? $("span").value.trim() : "",
      products: advanced && !$("products").disabled ? $("products").value.trim() : ""
    };
    status(t.working, false);
    post("graphicsRequestBroker.py", fields).then(function (text) {
      var reply = parseReply(text);
      if (/[A-Za-z]/.test(reply.error)) { status(reply.error, true); return; }
      images = reply.images;
      index = 0;
      var types = fields.statsTypes.split(",").length;
      panels = fields.combineSourlients === "true" ? types : types * names.length;
      show();
      status(t.awaiting, false);
      if (fields.products) { post("updateWordsInDB.py", { wordType: "products", word: fields.products, lang: data.lang }); }
    }).catch(function () { status(t.server_error, true); });
  }
  function viewAll() {
    if (!images.length) { return; }
    var names = images.map(function (src) { return src.split("/").pop(); });
    window.open("generateImageWebPage.py?" + new URLSearchParams({ lang: data.lang, images: names.join("+") }),
      "allImages", "width=1200,height=900,scrollbars=yes");
  }
  document.addEventListener("DOMContentLoaded", function () {
    data = JSON.parse($("request-data").textContent);
    t = data.texts;
    refreshTypes();
    refreshFixed();
    $("fileType").addEventListener("change", function () { refreshTypes(); refreshNamesPart(); });
    $("machines").addEventListener("change", refreshNamesPart);
    $("preDeterminedSpan").addEventListener("change", refreshFixed);
    $("addNames").addEventListener("click", openChooser);
    $("deleteNames").addEventListener("click", function () {
      Array.prototype.slice.call($("sourLients").selectedOptions).forEach(function (o) { o.remove(); });
    });
    $("choose").addEventListener("click", function () { move($("available"), $("chosen")); });
    $("unchoose").addEventListener("click", function () { move($("chosen"), $("available")); });
    $("chooserDone").addEventListener("click", chooserDone);
    $("toggleAdvanced").addEventListener("click", function () {
      var hidden = $("advanced").classList.toggle("hidden");
      $("toggleAdvanced").textContent = hidden ? t.show_advanced : t.hide_advanced;
    });
    $("generate").addEventListener("click", generate);
    $("previous").addEventListener("click", function () { step(-1); });
    $("next").addEventListener("click", function () { step(1); });
    $("viewAll").addEventListener("click", viewAll);
    $("result").addEventListener("click", function () {
      if (images.length) { window.open(images[images.length === 1 ? 0 : index], "image", "width=1200,height=900,scrollbars=yes"); }
    });
  });
})();
