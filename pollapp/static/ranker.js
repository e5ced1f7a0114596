// The ranking widget: tap entries in order, drag or use the keyboard to reorder.
//
// It is an enhancement of the plain ballot form. Every change is written back
// into the form's rank_1..rank_n selects (hidden while this runs), so the
// server receives and checks exactly what it would without JavaScript.
(function () {
  "use strict";

  var form = document.querySelector("form.ballot-form");
  var ranker = form && form.querySelector("[data-ranker]");
  if (!ranker) {
    return;
  }

  var selects = Array.prototype.slice.call(form.querySelectorAll(".ballot-fields select"));
  var rankedList = ranker.querySelector("[data-ranked]");
  var pool = ranker.querySelector("[data-pool]");
  var count = ranker.querySelector("[data-count]");
  var empty = ranker.querySelector("[data-empty]");
  var poolEmpty = ranker.querySelector("[data-pool-empty]");
  var clear = ranker.querySelector("[data-action=clear]");
  var errorBox = ranker.querySelector("[data-error]");
  var live = ranker.querySelector("[data-announce]");
  // The words come from the page, in its language; {name} and the numbers are filled in here.
  var words = JSON.parse(ranker.dataset.words || "{}");

  function say(kind, values) {
    return (words[kind] || "").replace(/\{(\w+)\}/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
    });
  }

  var rankedItems = {};
  var poolItems = {};
  var names = {};
  var editorOrder = [];
  Array.prototype.forEach.call(rankedList.querySelectorAll(".ranked-item"), function (item) {
    rankedItems[item.dataset.key] = item;
    names[item.dataset.key] = item.dataset.name;
  });
  Array.prototype.forEach.call(pool.querySelectorAll(".pool-item"), function (item) {
    poolItems[item.dataset.key] = item;
    editorOrder.push(item.dataset.key);
  });
  var total = editorOrder.length;

  // The reader's order, most loved first: what the selects hold, each entry once, no gaps.
  var order = [];
  selects.forEach(function (select) {
    var key = select.value;
    if (key && poolItems[key] && order.indexOf(key) === -1) {
      order.push(key);
    }
  });

  function announce(message) {
    // Clear first so the same sentence twice is still read out.
    live.textContent = "";
    window.setTimeout(function () {
      live.textContent = message;
    }, 50);
  }

  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = !message;
  }

  function placeAt(list, item, index) {
    // Move a node only when it is out of place: moving a node drops its focus.
    var current = list.children[index];
    if (current !== item) {
      list.insertBefore(item, current || null);
    }
  }

  function render() {
    var index = 0;
    order.forEach(function (key, position) {
      var item = rankedItems[key];
      item.hidden = false;
      item.querySelector("[data-position]").textContent = String(position + 1);
      item.querySelector("[data-action=up]").setAttribute("aria-disabled", String(position === 0));
      item
        .querySelector("[data-action=down]")
        .setAttribute("aria-disabled", String(position === order.length - 1));
      placeAt(rankedList, item, index);
      index += 1;
    });
    var poolIndex = 0;
    editorOrder.forEach(function (key) {
      var ranked = order.indexOf(key) !== -1;
      poolItems[key].hidden = ranked;
      placeAt(pool, poolItems[key], poolIndex);
      poolIndex += 1;
      if (!ranked) {
        rankedItems[key].hidden = true;
        placeAt(rankedList, rankedItems[key], index);
        index += 1;
      }
    });
    count.textContent = say("count", { count: order.length, total: total });
    empty.hidden = order.length > 0;
    poolEmpty.hidden = order.length < total;
    clear.hidden = order.length === 0;
    selects.forEach(function (select, position) {
      select.value = order[position] || "";
    });
  }

  function visiblePoolButtons() {
    return editorOrder
      .filter(function (key) {
        return order.indexOf(key) === -1;
      })
      .map(function (key) {
        return poolItems[key].querySelector("button");
      });
  }

  function focusAfterPick(key) {
    // Stay in the pool, on the entry that took this one's place, so picking goes on.
    var at = editorOrder.indexOf(key);
    var after = editorOrder.slice(at + 1).concat(editorOrder.slice(0, at).reverse());
    for (var i = 0; i < after.length; i += 1) {
      if (order.indexOf(after[i]) === -1) {
        poolItems[after[i]].querySelector("button").focus();
        return;
      }
    }
    var submit = form.querySelector("button[type=submit]");
    if (submit) {
      submit.focus();
    }
  }

  function pick(key) {
    order.push(key);
    showError("");
    render();
    focusAfterPick(key);
    announce(say("ranked", { name: names[key], position: order.length, count: order.length }));
  }

  function move(key, delta, action) {
    var from = order.indexOf(key);
    var to = from + delta;
    if (to < 0 || to >= order.length) {
      announce(say(delta < 0 ? "first" : "last", { name: names[key] }));
      return;
    }
    order.splice(from, 1);
    order.splice(to, 0, key);
    render();
    rankedItems[key].querySelector("[data-action=" + action + "]").focus();
    announce(say(delta < 0 ? "up" : "down", { name: names[key], position: to + 1, count: order.length }));
  }

  function remove(key) {
    var from = order.indexOf(key);
    order.splice(from, 1);
    render();
    if (order.length) {
      rankedItems[order[Math.min(from, order.length - 1)]].querySelector("[data-action=remove]").focus();
    } else {
      visiblePoolButtons()[0].focus();
    }
    announce(say("removed", { name: names[key], count: order.length, total: total }));
  }

  ranker.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-action]");
    if (!button || !ranker.contains(button)) {
      return;
    }
    var item = button.closest("[data-key]");
    var key = item && item.dataset.key;
    switch (button.dataset.action) {
      case "pick":
        pick(key);
        break;
      case "up":
        move(key, -1, "up");
        break;
      case "down":
        move(key, 1, "down");
        break;
      case "remove":
        remove(key);
        break;
      case "clear":
        order = [];
        render();
        visiblePoolButtons()[0].focus();
        announce(say("cleared", {}));
        break;
    }
  });

  rankedList.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) {
      return;
    }
    var button = event.target.closest("button[data-action]");
    var item = event.target.closest(".ranked-item");
    if (!button || !item) {
      return;
    }
    var action = button.dataset.action;
    if (event.key === "ArrowUp") {
      move(item.dataset.key, -1, action);
    } else if (event.key === "ArrowDown") {
      move(item.dataset.key, 1, action);
    } else if (event.key === "Delete" || event.key === "Backspace") {
      remove(item.dataset.key);
    } else {
      return;
    }
    event.preventDefault();
  });

  form.addEventListener("submit", function (event) {
    if (order.length === 0) {
      event.preventDefault();
      showError(say("pick_first", {}));
      visiblePoolButtons()[0].focus();
    }
  });

  function orderFromList() {
    // After a drop the ranked list holds the new order, perhaps with an entry from the pool.
    var keys = [];
    Array.prototype.forEach.call(rankedList.children, function (item) {
      if (!item.hidden && item.dataset.key && keys.indexOf(item.dataset.key) === -1) {
        keys.push(item.dataset.key);
      }
    });
    return keys;
  }

  function dropped(event) {
    var key = event.item.dataset.key;
    var before = order.indexOf(key);
    order = orderFromList();
    render();
    var after = order.indexOf(key);
    if (after === -1) {
      announce(say("removed", { name: names[key], count: order.length, total: total }));
    } else if (after !== before) {
      announce(say("now", { name: names[key], position: after + 1, count: order.length }));
    }
  }

  if (window.Sortable) {
    var shared = {
      group: "ballot",
      animation: 150,
      forceFallback: true,
      fallbackTolerance: 4,
      delay: 180,
      delayOnTouchOnly: true,
      draggable: "li:not([hidden])",
      ghostClass: "is-ghost",
      chosenClass: "is-chosen",
      dragClass: "is-dragging",
      onEnd: dropped,
    };
    window.Sortable.create(rankedList, Object.assign({ handle: ".ranked-grab" }, shared));
    window.Sortable.create(pool, Object.assign({ sort: false }, shared));
  }

  showError("");
  render();
  ranker.classList.add("is-ready");
  // The answer to a ballot sent with the form (a refusal with the picks kept,
  // or the embed's outcome) is where the reader starts.
  var message = document.getElementById("ballot-message");
  if (message && message.textContent.trim()) {
    message.focus();
  }
})();
