// The embed's script, in a frame on another site.
//
// It tells the page around the frame how tall the frame is (WordPress's
// message with its secret from "#?secret=", AMP's embed-size with "#amp=1",
// and pollapp's own embed-loader.js, which speaks WordPress's message), on
// every change of size. And it sends the ballot with fetch(), because
// WordPress's frame (sandbox="allow-scripts") may not send a form: the reader
// is the page's reader key, sent as the Idempotency-Key, so voting again
// replaces the ballot, and a request sent again never counts twice. Where the
// frame keeps the embed's cookie the key is the same on every load, and the
// cookie goes with the ballot so that it is counted as such.
(function () {
  "use strict";

  var root = document.querySelector("[data-embed]");
  if (!root) {
    return;
  }
  var hash = window.location.hash;
  var secretMatch = /[#&?]secret=([A-Za-z0-9]{1,64})/.exec(hash);
  var secret = secretMatch ? secretMatch[1] : null;
  var amp = /[#&]amp=1(?:&|$)/.test(hash);
  var framed = window.parent !== window;

  function height() {
    return Math.ceil(root.getBoundingClientRect().height);
  }

  var lastSent = 0;
  function tellHeight() {
    var value = height();
    // At the frame's first layout its viewport can be 0 x 0: wait for a real size.
    if (!framed || value <= 0 || value === lastSent) {
      return;
    }
    lastSent = value;
    if (secret) {
      window.parent.postMessage({ message: "height", value: value, secret: secret }, "*");
    }
    if (amp) {
      window.parent.postMessage({ sentinel: "amp", type: "embed-size", height: value }, "*");
    }
  }

  if (framed) {
    if (window.ResizeObserver) {
      new window.ResizeObserver(tellHeight).observe(root);
    }
    window.addEventListener("load", tellHeight);
    window.addEventListener("resize", tellHeight);
    window.addEventListener("message", function (event) {
      // WordPress says "ready" when it starts listening: answer it at once.
      var data = event.data;
      if (secret && data && data.message === "ready" && data.secret === secret) {
        lastSent = 0;
        tellHeight();
      }
    });
    tellHeight();
  }

  // In WordPress's frame a link cannot open the top page itself; its "link"
  // message asks WordPress to (it does so for a link to the frame's own host).
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-top-link]");
    if (link && secret && framed) {
      event.preventDefault();
      window.parent.postMessage({ message: "link", value: link.href, secret: secret }, "*");
    }
  });

  var form = root.querySelector("form.ballot-form");
  var button = form && form.querySelector("[data-cast]");
  var outcome = root.querySelector("[data-outcome]");
  // The button carries the frame's words in its language.
  var words = JSON.parse((button && button.dataset.words) || "{}");
  if (!form || !button || !window.fetch) {
    return;
  }

  var keyField = form.querySelector("[name=reader_key]");
  var key = keyField ? keyField.value : "";
  var sending = false;

  function say(message, isError) {
    outcome.textContent = "";
    var line = document.createElement("p");
    line.className = isError ? "embed-error" : "embed-message";
    line.textContent = message;
    outcome.appendChild(line);
  }

  function ranking() {
    var keys = [];
    Array.prototype.forEach.call(form.querySelectorAll(".ballot-fields select"), function (select) {
      if (select.value) {
        keys.push(select.value);
      }
    });
    return keys;
  }

  // Once a ballot is in, the ballot folds away behind one button, so that the
  // answer and the picks fit the frame's height; the button unfolds it again.
  var ballot = root.querySelector("#ballot");
  var change = null;
  function folded(fold) {
    if (!ballot) {
      return;
    }
    ballot.hidden = fold;
    if (fold && !change) {
      change = document.createElement("button");
      change.type = "button";
      change.className = "button-secondary embed-change";
      change.textContent = words.change;
      change.addEventListener("click", function () {
        folded(false);
        var heading = ballot.querySelector("h2");
        if (heading) {
          heading.setAttribute("tabindex", "-1");
          heading.focus();
        }
      });
      ballot.parentNode.insertBefore(change, ballot);
    }
    if (change) {
      change.hidden = !fold;
    }
    tellHeight();
  }

  // The button's click, not the form's submit: a sandboxed frame without
  // allow-forms never fires submit.
  button.addEventListener("click", function (event) {
    event.preventDefault();
    var keys = ranking();
    if (keys.length === 0) {
      say(words.pick_first, true);
      return;
    }
    if (sending) {
      return;
    }
    sending = true;
    button.setAttribute("aria-disabled", "true");
    window
      .fetch(form.dataset.endpoint, {
        method: "POST",
        credentials: "include",
        headers: { "Content-Type": "application/json", Accept: "application/json", "Idempotency-Key": key },
        body: JSON.stringify({ ranking: keys }),
      })
      .then(function (response) {
        return response.json().then(function (body) {
          return { ok: response.ok, body: body };
        });
      })
      .then(function (answer) {
        if (answer.ok) {
          // The server's own fragment: the message, the picks, the tops.
          outcome.innerHTML = answer.body.html;
          // A script put in with innerHTML does not run: the share block's is loaded once here.
          var inert = outcome.querySelector("script[src]");
          if (inert && !window.pollappShare) {
            var script = document.createElement("script");
            script.src = inert.src;
            document.body.appendChild(script);
          }
          button.textContent = button.dataset.castAgain;
          folded(true);
          var heading = outcome.querySelector("h2");
          if (heading) {
            heading.focus();
          }
        } else {
          say(answer.body.error || words.not_saved, true);
        }
      })
      .catch(function () {
        say(words.not_sent, true);
      })
      .then(function () {
        sending = false;
        button.removeAttribute("aria-disabled");
        tellHeight();
      });
  });
})();
