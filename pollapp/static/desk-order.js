// The desk's entry rows, reordered as readers reorder a ballot: drag a row by
// its grip, or use its Move up / Move down buttons (the arrow keys on them
// move it on). Changes are announced to screen readers.
//
// It is an enhancement of the plain form: every move is written back into the
// rows' "Place in the list" fields (hidden while this runs), so the server
// receives what it would without JavaScript.
(function () {
  "use strict";

  var list = document.querySelector("ol[data-reorder]");
  if (!list) {
    return;
  }
  var live = document.querySelector("[data-reorder-announce]");
  var words = JSON.parse(list.dataset.words || "{}");

  function say(kind, values) {
    return (words[kind] || "").replace(/\{(\w+)\}/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
    });
  }

  function rows() {
    return Array.prototype.slice.call(list.children);
  }

  function nameOf(row) {
    // As the pages name an entry: "Title: Subtitle", or the title alone.
    var title = row.querySelector("input[name$='-title']").value.trim();
    var subtitle = row.querySelector("input[name$='-subtitle']").value.trim();
    if (!title) {
      return say("untitled", { position: rows().indexOf(row) + 1 });
    }
    return subtitle ? title + ": " + subtitle : title;
  }

  function announce(message) {
    // Clear first so the same sentence twice is still read out.
    live.textContent = "";
    window.setTimeout(function () {
      live.textContent = message;
    }, 50);
  }

  function render() {
    var all = rows();
    all.forEach(function (row, index) {
      var place = row.querySelector("input[name$='-position']");
      place.value = String(index + 1);
      var name = nameOf(row);
      var up = row.querySelector("[data-move=up]");
      var down = row.querySelector("[data-move=down]");
      up.setAttribute("aria-label", say("up", { name: name }));
      down.setAttribute("aria-label", say("down", { name: name }));
      up.setAttribute("aria-disabled", String(index === 0));
      down.setAttribute("aria-disabled", String(index === all.length - 1));
    });
  }

  function move(row, delta, which) {
    var all = rows();
    var from = all.indexOf(row);
    var to = from + delta;
    if (to < 0 || to >= all.length) {
      announce(say(delta < 0 ? "first" : "last", { name: nameOf(row) }));
      return;
    }
    list.insertBefore(row, delta < 0 ? all[to] : all[to].nextSibling);
    render();
    row.querySelector("[data-move=" + which + "]").focus();
    announce(say("now", { name: nameOf(row), position: to + 1, count: all.length }));
  }

  rows().forEach(function (row) {
    var place = row.querySelector("input[name$='-position']").closest(".desk-field");
    place.hidden = true;
    var bar = document.createElement("div");
    bar.className = "desk-row-controls";
    var grip = document.createElement("span");
    grip.className = "grip desk-grip";
    grip.setAttribute("aria-hidden", "true");
    bar.appendChild(grip);
    ["up", "down"].forEach(function (which) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "desk-button";
      button.dataset.move = which;
      button.textContent = say(which + "_short", {});
      bar.appendChild(button);
    });
    row.insertBefore(bar, row.firstChild);
  });

  list.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-move]");
    if (button) {
      var which = button.dataset.move;
      move(button.closest("li"), which === "up" ? -1 : 1, which);
    }
  });

  list.addEventListener("keydown", function (event) {
    var button = event.target.closest("button[data-move]");
    if (!button || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) {
      return;
    }
    if (event.key === "ArrowUp" || event.key === "ArrowDown") {
      event.preventDefault();
      move(button.closest("li"), event.key === "ArrowUp" ? -1 : 1, button.dataset.move);
    }
  });

  // A new title renames the row's buttons.
  list.addEventListener("input", function (event) {
    if (event.target.name && /-(sub)?title$/.test(event.target.name)) {
      render();
    }
  });

  if (window.Sortable) {
    window.Sortable.create(list, {
      animation: 150,
      forceFallback: true,
      fallbackTolerance: 4,
      handle: ".desk-grip",
      ghostClass: "is-ghost",
      chosenClass: "is-chosen",
      dragClass: "is-dragging",
      onEnd: function (event) {
        render();
        if (event.oldIndex !== event.newIndex) {
          announce(say("now", { name: nameOf(event.item), position: event.newIndex + 1, count: rows().length }));
        }
      },
    });
  }

  list.classList.add("is-ready");
  render();
})();
