/* policybook notice banner: include on any page of your website with
     <script src="https://policies.example.com/notice.js" defer></script>
   Optional attributes: data-policy="privacy-policy terms-of-service" (which policies to
   announce; default all), data-variant="eea" (the regional variant a site shows:
   a variant's id, or "general" for the text that is not regional; default every
   banner) and data-target="#policy-notice" (where to put the banner; default the top
   of the page). It fetches notice.json from the same place as this
   script and builds the banner with DOM methods and textContent only: no text from the
   server is ever parsed as HTML. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !window.fetch) { return; }
  var src = new URL(script.src, document.baseURI);
  var only = (script.getAttribute("data-policy") || "").split(/\s+/).filter(Boolean);
  var variant = script.getAttribute("data-variant");
  var targetSelector = script.getAttribute("data-target");
  var dismissedKey = "policybook-dismissed";
  // The page's language picks the banner's strings (notice.json carries each
  // translated policy's in `translations`); anything else reads the source's.
  var pageLang = (document.documentElement.getAttribute("lang") || "").toLowerCase();

  function localized(notice) {
    var all = notice.translations || {};
    var pick = null;
    Object.keys(all).forEach(function (tag) {
      var t = tag.toLowerCase();
      if (t === pageLang || (!pick && t === pageLang.split("-")[0])) { pick = all[tag]; }
    });
    if (!pick) { return notice; }
    var out = {};
    Object.keys(notice).forEach(function (k) { out[k] = notice[k]; });
    Object.keys(pick).forEach(function (k) { out[k] = pick[k]; });
    return out;
  }

  function safeUrl(value) {
    try {
      var u = new URL(value, src);
      return (u.protocol === "https:" || u.protocol === "http:") ? u.href : null;
    } catch (e) { return null; }
  }

  function dismissed() {
    try { return JSON.parse(window.sessionStorage.getItem(dismissedKey) || "[]"); }
    catch (e) { return []; }
  }

  function remember(id) {
    try {
      var list = dismissed(); list.push(id);
      window.sessionStorage.setItem(dismissedKey, JSON.stringify(list));
    } catch (e) { /* storage may be disabled: the banner simply comes back */ }
  }

  function el(tag, style, text) {
    var node = document.createElement(tag);
    // CSSOM, not a style attribute: allowed under a strict Content-Security-Policy.
    if (style) { node.style.cssText = style; }
    if (text) { node.textContent = text; }
    return node;
  }

  function banner(original) {
    var notice = localized(original);
    var id = notice.policy + (notice.variant ? ":" + notice.variant : "") + "@" +
      notice.date + ":" + notice.kind;
    if (dismissed().indexOf(id) !== -1) { return null; }
    var upcoming = notice.kind === "upcoming";
    var box = el("div", "box-sizing:border-box;margin:0;padding:12px 16px;font:16px/1.5 system-ui,sans-serif;" +
      "display:flex;flex-wrap:wrap;gap:8px 16px;align-items:center;border-bottom:1px solid;" +
      (upcoming ? "background:#fff3cd;color:#3d2a00;border-color:#a06a00;"
                : "background:#e4efff;color:#1d2125;border-color:#2a5db0;"));
    box.setAttribute("role", "region");
    box.setAttribute("aria-label", String(notice.label || "Policy update"));
    box.className = "policybook-notice policybook-notice-" + (upcoming ? "upcoming" : "updated");
    // The banner's language and direction are its strings' (the page's own when they are
    // translated, else the policy site's default): an English banner on an Arabic page
    // reads left to right, an Arabic one on an English page right to left.
    if (notice.lang) { box.lang = String(notice.lang); }
    if (notice.dir === "rtl" || notice.dir === "ltr") { box.dir = notice.dir; }
    box.appendChild(el("strong", "font-weight:600", String(notice.message || "")));
    var href = safeUrl(notice.changes_url);
    if (href) {
      var link = el("a", "color:#0a4fb3;font-weight:600;text-decoration:underline", String(notice.link_text || "See what changes"));
      link.href = href;
      box.appendChild(link);
    }
    // margin-inline-start: the button goes to the end of the line in either direction.
    var close = el("button", "margin-inline-start:auto;font:inherit;background:transparent;border:1px solid currentColor;" +
      "border-radius:4px;padding:2px 10px;cursor:pointer;color:inherit", String(notice.dismiss || "Dismiss"));
    close.type = "button";
    close.setAttribute("aria-label", notice.dismiss_label ? String(notice.dismiss_label)
      : "Dismiss this notice about the " + String(notice.title || "policy"));
    close.addEventListener("click", function () { remember(id); box.remove(); });
    box.appendChild(close);
    return box;
  }

  function show(data) {
    var notices = (data && data.notices) || [];
    var target = targetSelector ? document.querySelector(targetSelector) : null;
    notices.forEach(function (n) {
      if (only.length && only.indexOf(n.policy) === -1) { return; }
      if (variant && (n.variant || "general") !== variant) { return; }
      var node = banner(n);
      if (!node) { return; }
      if (target) { target.appendChild(node); }
      else { document.body.insertBefore(node, document.body.firstChild); }
    });
  }

  fetch(new URL("notice.json", src).href, { credentials: "omit", mode: "cors" })
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (data) {
      if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", function () { show(data); });
      } else { show(data); }
    })
    .catch(function () { /* no banner when the policy site cannot be reached */ });
})();
