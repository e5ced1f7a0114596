// pollapp's embed for any site: a link to a poll, then this script.
//
//   <a class="pollapp-embed" href="https://POLL-HOST/polls/SLUG">Rank them yourself</a>
//   <script async src="https://POLL-HOST/static/embed-loader.js"></script>
//
// Each such link gets the poll's embed in a frame after it, sized to its
// content: the frame says its height with the message WordPress uses
// ({message: "height", value, secret}), and the link stays as the fallback
// until the first message comes.
(function () {
  "use strict";

  function secret() {
    var chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    var bytes = new Uint8Array(10);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map
      .call(bytes, function (b) {
        return chars.charAt(b % chars.length);
      })
      .join("");
  }

  function embedUrl(href) {
    var url = new URL(href, document.baseURI);
    url.pathname = url.pathname.replace(/\/(results|embed)\/?$/, "").replace(/\/$/, "") + "/embed";
    url.search = "";
    return url;
  }

  var frames = [];
  Array.prototype.forEach.call(document.querySelectorAll("a.pollapp-embed:not([data-embedded])"), function (link) {
    link.setAttribute("data-embedded", "");
    var url = embedUrl(link.href);
    var code = secret();
    url.hash = "?secret=" + code;
    var frame = document.createElement("iframe");
    frame.src = url.href;
    frame.title = link.textContent;
    frame.width = "100%";
    frame.height = "600";
    frame.setAttribute("frameborder", "0");
    frame.setAttribute("scrolling", "no");
    frame.style.maxWidth = "700px";
    frame.style.border = "0";
    frame.style.display = "block";
    link.parentNode.insertBefore(frame, link.nextSibling);
    frames.push({ frame: frame, link: link, secret: code, origin: url.origin });
  });

  window.addEventListener("message", function (event) {
    var data = event.data;
    frames.forEach(function (known) {
      if (event.source !== known.frame.contentWindow || !data || data.secret !== known.secret) {
        return;
      }
      if (data.message === "height") {
        var value = Math.max(100, Math.min(3000, parseInt(data.value, 10) || 0));
        known.frame.height = String(value);
        known.link.hidden = true;
      } else if (data.message === "link" && new URL(data.value).origin === known.origin) {
        window.top.location.href = data.value;
      }
    });
  });
})();
